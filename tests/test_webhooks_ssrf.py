"""SSRF closed (issue 12): IPv4 hidden in IPv6 is private, and a send connects to the address it checked.

The resolver is ``socket.getaddrinfo``, replaced here by a scripted one: tests never touch real DNS.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from tests import factories
from tests.conftest import problem
from tests.test_webhooks_delivery import Receiver, _due_now, _emit, _subscribe
from webhooks import delivery as delivery_service
from webhooks.models import Delivery, Endpoint
from webhooks.urlguard import UnsafeUrlError, embedded_ipv4, pin, url_check

# Teredo (2001::/32): server 65.54.227.120, client 10.0.0.1 (stored inverted: f5ff:fffe).
TEREDO_PRIVATE_CLIENT = "2001:0:4136:e378:8000:63bf:f5ff:fffe"

HIDDEN_PRIVATE = [
    "::127.0.0.1",          # IPv4-compatible
    "::ffff:127.0.0.1",     # IPv4-mapped
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",      # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",   # NAT64 of 169.254.169.254 (cloud metadata)
    "2002:7f00:1::",        # 6to4 of 127.0.0.1
    "2002:a00:1::1",        # 6to4 of 10.0.0.1
    TEREDO_PRIVATE_CLIENT,
]


class ScriptedResolver:
    """Answers a host with the next address of its script (the last one repeats); counts calls."""

    def __init__(self, monkeypatch, host: str, answers: list[str]):
        self.host, self.answers, self.calls = host, list(answers), 0
        real = socket.getaddrinfo

        def fake(name, port, *args, **kwargs):
            if name != self.host:
                return real(name, port, *args, **kwargs)
            answer = self.answers[min(self.calls, len(self.answers) - 1)]
            self.calls += 1
            family = socket.AF_INET6 if ":" in answer else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answer, port))]

        monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.fixture
def strict(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False


@pytest.mark.parametrize("address", HIDDEN_PRIVATE)
def test_private_ipv4_inside_ipv6_is_refused_on_registration(supplier_caller, strict, address):
    response = supplier_caller.post("/api/v1/webhooks", {"url": f"https://[{address}]/hook", "eventTypes": ["*"]})
    assert response.status_code == 400, response.content
    body = problem(response)
    assert body["errors"][0]["field"] == "url"
    # The refusal names the setting that would allow it (sandbox and tests).
    assert "WEBHOOK_ALLOW_PRIVATE_URLS" in body["errors"][0]["message"]
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("address", HIDDEN_PRIVATE)
def test_a_hostname_resolving_to_hidden_private_ipv4_is_refused(monkeypatch, strict, address):
    ScriptedResolver(monkeypatch, "sneaky.example.net", [address])
    with pytest.raises(UnsafeUrlError, match="WEBHOOK_ALLOW_PRIVATE_URLS"):
        url_check("https://sneaky.example.net/hook")


def test_the_embedded_addresses_are_read_from_each_form():
    def embedded(address):
        return [str(ip) for ip in embedded_ipv4(ipaddress.ip_address(address))]

    assert embedded("::127.0.0.1") == ["127.0.0.1"]
    assert embedded("64:ff9b::7f00:1") == ["127.0.0.1"]
    assert embedded("2002:7f00:1::") == ["127.0.0.1"]
    assert "10.0.0.1" in embedded(TEREDO_PRIVATE_CLIENT)
    assert embedded("2606:4700::1111") == []


@pytest.mark.parametrize("address", ["93.184.215.14", "64:ff9b::5db8:d70e", "2606:4700::1111"])
def test_public_addresses_stay_allowed(monkeypatch, strict, address):
    ScriptedResolver(monkeypatch, "hooks.example.com", [address])
    url_check("https://hooks.example.com/hook")


def test_plain_http_refusal_names_the_setting(strict):
    with pytest.raises(UnsafeUrlError, match="WEBHOOK_ALLOW_PRIVATE_URLS=1"):
        url_check("http://hooks.example.com/hook")


def test_a_send_resolves_once_and_connects_to_the_checked_address_keeping_host_and_sni(monkeypatch, strict):
    resolver = ScriptedResolver(monkeypatch, "hooks.example.com", ["93.184.215.14", "127.0.0.1"])
    target = pin("https://hooks.example.com/hotsauce?x=1")
    assert resolver.calls == 1
    ((url, headers, extensions),) = target.requests()
    assert url == "https://93.184.215.14:443/hotsauce?x=1"
    assert headers == {"Host": "hooks.example.com"}
    assert extensions == {"sni_hostname": "hooks.example.com"}
    # The changed answer is never consulted for this send.
    assert resolver.calls == 1


@pytest.mark.django_db
def test_dns_rebinding_between_registration_and_send_is_refused(monkeypatch, strict):
    """Registered while the name answered a public address; at send time it answers 127.0.0.1."""
    resolver = ScriptedResolver(monkeypatch, "rebind.example.net", ["93.184.215.14", "127.0.0.1"])
    supplier = factories.supplier()
    with Receiver([200]) as receiver:
        port = receiver.server.server_address[1]
        resolver.answers = ["93.184.215.14", "127.0.0.1"]
        endpoint = _subscribe(f"https://rebind.example.net:{port}/hook", supplier.pk)
        assert resolver.calls == 1
        delivery = Delivery.objects.get(event=_emit(supplier.pk), endpoint=endpoint)
        _due_now(delivery)
        attempt = delivery_service.delivery_attempt(delivery_id=delivery.pk)
    assert resolver.calls == 2  # once for the send: its answer is checked and would be the one connected to
    assert not attempt.success and attempt.error.startswith("Refused:")
    assert receiver.requests == []


@pytest.mark.django_db
def test_a_send_reaches_the_pinned_address_with_the_urls_host(monkeypatch, settings):
    """The answer changes after the check: the connection still goes to the checked (first) address."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    resolver = ScriptedResolver(monkeypatch, "receiver.hotsauce.test", ["127.0.0.1", "10.255.255.1"])
    supplier = factories.supplier()
    with Receiver([200]) as receiver:
        port = receiver.server.server_address[1]
        endpoint = _subscribe(f"http://receiver.hotsauce.test:{port}/hook", supplier.pk)
        delivery = Delivery.objects.get(event=_emit(supplier.pk), endpoint=endpoint)
        _due_now(delivery)
        attempt = delivery_service.delivery_attempt(delivery_id=delivery.pk)
    assert attempt.success, attempt.error
    assert resolver.calls == 1
    (request,) = receiver.requests
    assert request["headers"]["Host"] == f"receiver.hotsauce.test:{port}"
    assert request["path"] == "/hook"
