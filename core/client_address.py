"""The address of the client a request came from, for every per-address limit.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed
only as far as the operator says proxies of theirs stand in front of the
application (``TRUSTED_PROXY_COUNT``): each trusted proxy appends the address it
received the request from, so the client is the entry that many places from the
right. With no trusted proxy, the client is the connection's peer.
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    peer = request.META.get("REMOTE_ADDR", "") or ""
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return peer
    forwarded = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if not forwarded:
        return peer
    # Fewer hops than trusted proxies: the leftmost is as far as the chain goes.
    return forwarded[-min(trusted, len(forwarded))]
