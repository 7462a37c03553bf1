"""Refusing webhook URLs that would make us call into our own network (SSRF).

Checked when a URL is registered and again before every send, because a hostname that
resolved to a public address yesterday may resolve to 169.254.169.254 today.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

# The refusal names the switch, so a developer trying a local receiver is not left guessing.
_SANDBOX_HINT = ("a local receiver (http://127.0.0.1:PORT/...) needs WEBHOOK_ALLOW_PRIVATE_URLS=1, "
                 "which `make run` sets for the sandbox and production leaves off.")


class UnsafeUrlError(Exception):
    pass


def _refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local (cloud metadata), CGNAT
    # (100.64/10), reserved and documentation ranges; multicast is global but never a receiver.
    return not ip.is_global or ip.is_multicast or ip.is_unspecified


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeUrlError(f"The host {host} could not be resolved.") from exc
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def url_check(url: str) -> None:
    """Raise ``UnsafeUrlError`` unless ``url`` may receive webhooks."""
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts = urlsplit(url)
        port = parts.port
    except (ValidationError, ValueError) as exc:
        raise UnsafeUrlError("Not a valid http(s) URL.") from exc
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        raise UnsafeUrlError(f"Webhook URLs must use https://; {_SANDBOX_HINT}")
    host = parts.hostname
    if not host:
        raise UnsafeUrlError("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeUrlError("Credentials in the URL are not accepted; verify the signature instead.")
    if allow_private:
        return
    addresses = _addresses(host, port or 443)
    if not addresses or any(_refused(ip) for ip in addresses):
        raise UnsafeUrlError(f"{host} resolves to a private, loopback, link-local or reserved address; {_SANDBOX_HINT}")
