"""Where a webhook may be sent (SSRF): an http(s) URL whose host resolves to public addresses only. Checked when a
subscription is made or its URL changed, and again at every delivery, which then connects to the very address it
checked (app/domain/webhooks/sending.py), so a name that resolves elsewhere the second time (DNS rebinding) cannot
reach an internal address. COSO_WEBHOOK_ALLOW_PRIVATE lifts the address rule; COSO_WEBHOOK_ALLOWED_HOSTS lifts it
for the hosts named."""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.domain.errors import RuleViolation

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESOLVE_SECONDS = 5.0


class UrlNotAllowed(RuleViolation):
    code = "webhook_url_not_allowed"
    title = "The webhook URL is not allowed"


@dataclass(frozen=True)
class UrlPolicy:
    allow_private: bool = False
    allowed_hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to `address`, present `host` (Host header, TLS server name)."""

    https: bool
    host: str
    port: int
    path: str  # the request target: path and query
    address: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.https else 80
        return host if self.port == default else f"{host}:{self.port}"


def _why_not(ip: IpAddress) -> str | None:
    """Why an address is no place to send a webhook (None: it is a public one)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return _why_not(embedded)
    for test, what in (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "non-public"),
    ):
        if test:
            return what
    return None


def _split(url: str) -> tuple[bool, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlNotAllowed(f"The URL is malformed ({exc}); give an http:// or https:// URL.") from exc
    if parts.scheme not in ("http", "https"):
        raise UrlNotAllowed(
            f"Webhooks are sent over http or https only, not {parts.scheme or 'a URL without a scheme'}; "
            "give an https:// URL."
        )
    if not parts.hostname:
        raise UrlNotAllowed("The URL names no host; give one such as https://hooks.example.org/coso.")
    https = parts.scheme == "https"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return https, parts.hostname.rstrip(".").lower(), port or (443 if https else 80), path


async def _addresses(host: str, port: int) -> list[IpAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # TimeoutError is an OSError
        raise UrlNotAllowed(f"The host {host} cannot be resolved; check the URL's host name.") from exc
    found: list[IpAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise UrlNotAllowed(f"The host {host} resolves to no address; check the URL's host name.")
    return found


async def check(url: str, policy: UrlPolicy) -> Target:
    """The URL checked and resolved (every address the host resolves to must be allowed: the first is used)."""
    https, host, port, path = _split(url)
    addresses = await _addresses(host, port)
    if not policy.allow_private and host not in policy.allowed_hosts:
        for address in addresses:
            why = _why_not(address)
            if why is not None:
                raise UrlNotAllowed(
                    f"The host {host} resolves to {address}, a {why} address: webhooks go to public addresses "
                    "only. Give a public URL (an administrator may allow a host with COSO_WEBHOOK_ALLOWED_HOSTS)."
                )
    return Target(https=https, host=host, port=port, path=path, address=str(addresses[0]))
