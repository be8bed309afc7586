"""The one way the product calls other systems over HTTP (vendor APIs, webhooks).

Every target a tenant names is untrusted: a URL could point at the cloud's
metadata service, the database, or anything else on the private network. The
guard therefore:

- allows ``https`` to public addresses only, unless the operator allows a network
  in ``OUTBOUND_ALLOWED_NETWORKS`` (CIDRs, e.g. ``127.0.0.1/32`` for local fakes),
  where ``http`` is accepted too;
- resolves the host once, refuses if any address it resolves to is not allowed,
  and connects to the address it checked (so a DNS answer that changes between
  the check and the connection cannot redirect the call: no rebinding);
- never follows redirects (a 3xx is returned as is, and callers treat it as a failure);
- limits the time of each call and the size of each answer.

Addresses are judged after the resolver has read them, so every spelling of an
address (decimal ``2130706433``, octal ``0177.0.0.1``, IPv6 ``::ffff:127.0.0.1``)
is judged as the address it is.
"""

import ipaddress
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_RESPONSE_BYTES = 5 * 1024 * 1024


class OutboundRefused(Exception):
    """The target is not one the product may call; ``reason`` says why, for a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ResponseTooLarge(httpx.HTTPError):
    """The answer went past the size limit."""


class ResponseTooSlow(httpx.HTTPError):
    """The answer took longer than the time limit, however steadily it trickled in."""


@lru_cache(maxsize=8)
def _allowed_networks(
    spec: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def allowed_networks() -> tuple[Network, ...]:
    return _allowed_networks(tuple(settings.OUTBOUND_ALLOWED_NETWORKS))


def _plain(address: IPAddress) -> IPAddress:
    # An IPv4 address in IPv6 clothing is judged as the IPv4 address it is.
    if isinstance(address, ipaddress.IPv6Address):
        for unwrapped in (address.ipv4_mapped, address.sixtofour):
            if unwrapped is not None:
                return unwrapped
    return address


def address_allowed(address: IPAddress, *, scheme: str) -> bool:
    """Whether the product may open a connection to ``address`` for a ``scheme`` URL."""
    address = _plain(address)
    if any(address in network for network in allowed_networks()):
        return True
    return scheme == "https" and address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Target:
    """A URL that passed the guard, and the address the connection must go to."""

    scheme: str
    host: str
    port: int
    address: IPAddress


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundRefused(f"The host {host!r} cannot be resolved.") from exc
    addresses = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        addresses.append(ipaddress.ip_address(raw))
    if not addresses:
        raise OutboundRefused(f"The host {host!r} has no address.")
    return addresses


def check_target(url: str) -> Target:
    """Judge ``url``: the scheme, the host's every address. Raises ``OutboundRefused``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused("The URL is malformed.") from exc
    scheme = (parts.scheme or "").lower()
    if scheme not in ("http", "https"):
        raise OutboundRefused("Only http and https URLs can be called.")
    host = parts.hostname
    if not host:
        raise OutboundRefused("The URL names no host.")
    if parts.username or parts.password:
        raise OutboundRefused("Credentials do not belong in the URL.")
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port)
    refused = [a for a in addresses if not address_allowed(a, scheme=scheme)]
    if refused:
        if scheme == "http" and all(address_allowed(a, scheme="https") for a in addresses):
            raise OutboundRefused("Plain http is allowed only on networks the operator allows.")
        raise OutboundRefused(
            f"{host} resolves to {refused[0]}, which is not a public address the product "
            "may call (allow its network in OUTBOUND_ALLOWED_NETWORKS if it is yours)."
        )
    return Target(scheme=scheme, host=host, port=port, address=addresses[0])


class _LimitedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, *, max_bytes: int, deadline: float) -> None:
        self.inner = inner
        self.max_bytes = max_bytes
        self.deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        for chunk in self.inner:
            received += len(chunk)
            if received > self.max_bytes:
                raise ResponseTooLarge(f"The answer is larger than {self.max_bytes} bytes.")
            if time.monotonic() > self.deadline:
                raise ResponseTooSlow("The answer took too long.")
            yield chunk

    def close(self) -> None:
        self.inner.close()


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport that checks every request's target and pins its address."""

    def __init__(self, *, max_bytes: int, total_seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self.total_seconds = total_seconds

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
        try:
            target = check_target(str(request.url))
        except OutboundRefused as exc:
            raise httpx.ConnectError(exc.reason, request=request) from exc
        host = (
            f"[{target.address}]"
            if isinstance(target.address, ipaddress.IPv6Address)
            else str(target.address)
        )
        pinned = request.url.copy_with(host=host)
        extensions = dict(request.extensions)
        if target.scheme == "https":
            # TLS still checks the certificate against the name, not the address.
            extensions["sni_hostname"] = target.host
        headers = httpx.Headers(request.headers)
        headers["Host"] = request.url.netloc.decode("ascii")
        forwarded = httpx.Request(
            request.method, pinned, headers=headers, stream=request.stream, extensions=extensions
        )
        response = super().handle_request(forwarded)
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _LimitedStream(
            response.stream, max_bytes=self.max_bytes, deadline=started + self.total_seconds
        )
        return response


def guarded_client(
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    headers: dict[str, str] | None = None,
) -> httpx.Client:
    """An ``httpx.Client`` for calling tenants' targets: guarded, no redirects, bounded.

    ``timeout`` bounds connecting, each read and each write, and also the whole
    answer; ``max_bytes`` bounds its size.
    """
    return httpx.Client(
        transport=GuardedTransport(max_bytes=max_bytes, total_seconds=timeout, retries=0),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        headers=headers,
        trust_env=False,
    )
