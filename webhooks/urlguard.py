"""Refusing webhook URLs that would make us call into our own network (SSRF).

Checked when a URL is registered and again before every send, because a hostname that
resolved to a public address yesterday may resolve to 169.254.169.254 today. A send
resolves the host once, checks every address, and connects to a checked address
(``pin``): a DNS answer that changes between the check and the connection (rebinding)
never reaches the socket. The Host header and TLS SNI (and so the certificate check)
keep the URL's hostname.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_SETTING = "WEBHOOK_ALLOW_PRIVATE_URLS"
# IPv6 prefixes that carry an IPv4 address in their low 32 bits: NAT64 (RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")


class UnsafeUrlError(Exception):
    pass


def embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address reaches through a translation or tunnel mechanism."""
    if isinstance(ip, ipaddress.IPv4Address):
        return []
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    value = int(ip)
    if value >> 32 == 0 and value > 1:  # IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks)
        found.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    if ip in _SIX_TO_FOUR and ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip in _TEREDO and ip.teredo is not None:
        found.extend(ip.teredo)  # (server, client): either may be an internal address
    return found


def _refused(ip: IPAddress) -> bool:
    # is_global is False for private, loopback, link-local (cloud metadata), CGNAT
    # (100.64/10), reserved and documentation ranges; multicast is global but never a receiver.
    for candidate in (ip, *embedded_ipv4(ip)):
        if not candidate.is_global or candidate.is_multicast or candidate.is_unspecified:
            return True
    return False


def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeUrlError(f"The host {host} could not be resolved.") from exc
    seen: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if ip not in seen:
            seen.append(ip)
    return seen


@dataclass(frozen=True)
class PinnedTarget:
    """Where a send connects: a checked address, with the URL's own host for Host and SNI."""

    url: str
    host: str
    port: int
    addresses: list[IPAddress] = field(default_factory=list)

    def requests(self) -> list[tuple[str, dict, dict]]:
        """(URL naming the address, headers, httpx extensions) per checked address, in order."""
        parts = urlsplit(self.url)
        host_header = self.host if parts.port is None else f"{_bracket(self.host)}:{parts.port}"
        out = []
        for ip in self.addresses:
            netloc = f"{_bracket(str(ip))}:{self.port}"
            url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
            extensions = {"sni_hostname": self.host} if parts.scheme == "https" else {}
            out.append((url, {"Host": host_header}, extensions))
        return out


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _parse(url: str):
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts = urlsplit(url)
        port = parts.port
    except (ValidationError, ValueError) as exc:
        raise UnsafeUrlError("Not a valid http(s) URL.") from exc
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        raise UnsafeUrlError(f"Webhook URLs must use https:// (plain http:// only with {ALLOW_SETTING}=1, "
                             "for sandboxes and tests).")
    host = parts.hostname
    if not host:
        raise UnsafeUrlError("The URL has no host.")
    if parts.username or parts.password:
        raise UnsafeUrlError("Credentials in the URL are not accepted; verify the signature instead.")
    return parts, host, port or (443 if parts.scheme == "https" else 80)


def pin(url: str) -> PinnedTarget:
    """Resolve once and check every address; raise ``UnsafeUrlError`` unless all may receive webhooks."""
    _parts, host, port = _parse(url)
    addresses = resolve(host, port)
    if not addresses:
        raise UnsafeUrlError(f"The host {host} could not be resolved.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS and any(_refused(ip) for ip in addresses):
        raise UnsafeUrlError(f"{host} resolves to a private, loopback, link-local or reserved address "
                             f"(including IPv4 inside IPv6); {ALLOW_SETTING}=1 allows such URLs for sandboxes "
                             "and tests only.")
    return PinnedTarget(url=url, host=host, port=port, addresses=addresses)


def url_check(url: str) -> None:
    """Raise ``UnsafeUrlError`` unless ``url`` may receive webhooks (on registration)."""
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        _parse(url)  # a sandbox receiver's name may resolve only where the worker runs
        return
    pin(url)
