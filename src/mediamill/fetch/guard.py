"""The SSRF guard: parses a URL, checks its scheme, resolves its host and refuses non-public addresses."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mediamill.errors import BadInput, ProviderError
from mediamill.fetch.addresses import IPAddress, literal_ip, refusal_reason
from mediamill.security import Limits

if TYPE_CHECKING:  # httpx loads with the first URL checked: a worker's start and most submits need none
    import httpx

# (host, port) -> the addresses it resolves to, as strings. Tests inject one instead of real DNS.
Resolver = Callable[[str, int], list[str]]
DEFAULT_PORTS = {"http": 80, "https": 443}
ALLOW_HINT = "add the host to limits.fetch_allow_hosts to open it explicitly"


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    """A URL that passed the syntax and scheme checks (its addresses are checked separately)."""

    url: httpx.URL
    host: str  # lowercase ASCII (IDNA), IPv6 without brackets
    port: int


class Guard:
    """One fetch's rules: allowed schemes, the host allowlist and the address checks."""

    def __init__(self, limits: Limits, resolver: Resolver | None = None) -> None:
        self.limits = limits
        self.resolver = resolver or system_resolver
        self._allowed = [_parse_allow_entry(entry) for entry in limits.fetch_allow_hosts]

    def target(self, url: str | httpx.URL) -> Target:
        """Syntax and scheme checks only: no DNS."""
        import httpx

        try:
            parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise BadInput(f"not a valid URL {str(url)[:200]!r}: {exc}", field="url") from None
        schemes = [s.lower() for s in self.limits.fetch_allowed_schemes if s.lower() in DEFAULT_PORTS]
        if parsed.scheme not in schemes:
            raise BadInput(f"URL scheme {parsed.scheme or '(none)'!r} is not allowed in {display_url(parsed)}; "
                           f"allowed: {', '.join(schemes)}", field="url")
        host = parsed.raw_host.decode("ascii").lower()
        if not host:
            raise BadInput(f"URL {display_url(parsed)} has no host", field="url")
        return Target(parsed, host, parsed.port or DEFAULT_PORTS[parsed.scheme])

    def is_allowed(self, host: str, port: int) -> bool:
        return any(h == host and p in (None, port) for h, p in self._allowed)

    def addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses to connect to for host:port; BadInput naming the rule if any is refused."""
        literal = literal_ip(host)
        ips = [literal] if literal is not None else self._resolve(host, port)
        if self.is_allowed(host, port):
            return ips
        for ip in ips:
            reason = refusal_reason(ip)
            if reason:
                if literal is None:
                    said = f"{host} resolves to {ip}"
                else:
                    said = str(ip) if host == str(ip) else f"{host} is {ip}"
                raise BadInput(f"refused to fetch from {_hostport(host, port)}: {said}, {reason} ({ALLOW_HINT})",
                               field="url")
        return ips

    def check(self, url: str | httpx.URL) -> Target:
        target = self.target(url)
        self.addresses(target.host, target.port)
        return target

    def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            answers = self.resolver(host, port)
        except UnicodeError:
            raise BadInput(f"host {host!r} is not a valid domain name", field="url") from None
        except socket.gaierror as exc:
            if exc.errno == socket.EAI_AGAIN:  # a DNS hiccup: retryable
                raise ProviderError(f"temporary DNS failure resolving {host!r}: {exc.strerror}") from exc
            raise BadInput(f"cannot resolve host {host!r}: {exc.strerror}", field="url") from None
        ips = []
        for answer in answers:
            try:
                ips.append(ipaddress.ip_address(answer.split("%", 1)[0]))
            except ValueError:
                raise BadInput(f"host {host!r} resolved to something that is not an address: {answer!r}",
                               field="url") from None
        if not ips:
            raise BadInput(f"host {host!r} has no addresses", field="url")
        return ips


def check_url(url: str, limits: Limits, *, resolver: Resolver | None = None) -> None:
    """Raise BadInput unless `url` is http(s) and its host resolves only to public addresses."""
    Guard(limits, resolver).check(url)


def check_public_url(url: object, limits: Limits, field: str) -> str:
    """check_url for a URL a producer hands us (a URL input, a notify_url), before any job exists.

    The same rules the fetcher applies at download time, early, as BadInput naming the field.
    """
    if not isinstance(url, str) or not url.strip():
        raise BadInput(f"{field} must be a non-empty http(s) URL", field=field)
    if len(url) > 2048:
        raise BadInput(f"{field} is longer than 2048 characters", field=field)
    try:
        check_url(url, limits)
    except BadInput as exc:
        raise BadInput(f"{field}: {exc.message}", field=field) from None
    except OSError as exc:  # a DNS hiccup (EAI_AGAIN): worth a retry by the client, not a 500
        raise BadInput(f"{field}: cannot resolve the host right now ({exc}); try again", field=field) from None
    return url


def _parse_allow_entry(entry: str) -> tuple[str, int | None]:
    """'host', 'host:port', '[v6]', '[v6]:port' or a bare IPv6 address; names compared in IDNA form."""
    entry = entry.strip().lower()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    host, port = entry.split(":") if entry.count(":") == 1 else (entry, "")
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    return host, int(port) if port.isdigit() else None


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def display_url(url: httpx.URL) -> str:
    # Never echo credentials or a long query string back into an error message.
    text = str(url.copy_with(username=None, password=None, query=None, fragment=None))
    return text if len(text) <= 200 else text[:200] + "..."
