"""The caller's address, believing forwarding headers only from our own proxies.

Anyone can write ``X-Forwarded-For`` and ``X-Forwarded-Proto``; only a proxy listed in
``TRUSTED_PROXIES`` (comma-separated CIDRs, default none) is believed. Every feature that
uses an address — API-key and OAuth client allowlists, rate limits, the token and admin
lockouts, audit rows, request logs, the ``/metrics`` allowlist — asks ``client_ip`` here,
so a spoofed header changes nothing anywhere unless it came through a trusted proxy.

The ASGI server must agree: uvicorn rewrites the peer address from ``X-Forwarded-For``
itself (by default for any loopback peer), so it runs with
``--forwarded-allow-ips "$TRUSTED_PROXIES"`` (README, Procfile). With the two set alike,
the address uvicorn hands over is already the client's and the walk below finds nothing
more to believe.
"""

from __future__ import annotations

import ipaddress

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings

_CACHED = "_hotsauce_client_ip"


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4-mapped IPv6 peer (dual-stack sockets) is the IPv4 address it carries.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def is_trusted_proxy(address) -> bool:
    return address is not None and any(
        address.version == network.version and address in network for network in settings.TRUSTED_PROXIES)


def peer_is_trusted(request) -> bool:
    return is_trusted_proxy(_address(request.META.get("REMOTE_ADDR") or ""))


def client_ip(request) -> str | None:
    """The address of whoever is calling, as far as our own proxies vouch for it.

    When the direct peer is a trusted proxy, ``X-Forwarded-For`` is read from the right (each
    proxy appends the address it saw) and the first address that is not itself a trusted
    proxy is the client: whatever lies to its left was written by that client and proves
    nothing. A malformed entry ends the walk at the last address a trusted proxy vouched for.
    """
    cached = request.__dict__.get(_CACHED)
    if cached is not None:
        return cached or None
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    result = peer
    if is_trusted_proxy(peer):
        for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            if not entry.strip():
                continue
            address = _address(entry)
            if address is None:
                break
            result = address
            if not is_trusted_proxy(address):
                break
    text = str(result) if result is not None else (request.META.get("REMOTE_ADDR") or None)
    request.__dict__[_CACHED] = text or ""
    return text


class TrustedProxyMiddleware:
    """Drops ``X-Forwarded-Proto`` sent by anyone but a trusted proxy.

    ``SECURE_PROXY_SSL_HEADER`` makes Django believe that header from every peer; stripped
    here, a client talking plain HTTP cannot claim HTTPS (and skip the redirect or get the
    secure cookies over HTTP). Behind uvicorn with matching ``--forwarded-allow-ips`` the
    scheme uvicorn derived from a trusted proxy's header still stands.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if "HTTP_X_FORWARDED_PROTO" in request.META and not peer_is_trusted(request):
            del request.META["HTTP_X_FORWARDED_PROTO"]
        return self.get_response(request)  # a coroutine when the stack is async: the caller awaits it
