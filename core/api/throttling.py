"""Rate limits kept in Redis: fixed one-minute windows, atomic counters.

Keys go through the cache's tenant-aware key function, so each tenant's
counters live under its own schema prefix. If Redis cannot be reached the
request is let through (a limiter must not take the API down) and counted.
"""

import functools
import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import redis
import structlog
from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from core.client_address import client_address
from core.observability.metrics import RATE_LIMIT_BACKEND_FAILURES, REQUESTS_THROTTLED

if TYPE_CHECKING:
    from rest_framework.views import APIView

logger = structlog.get_logger(__name__)

WINDOW_SECONDS = 60


@functools.cache
def _redis(location: str, timeout: float | None) -> redis.Redis:
    return redis.Redis.from_url(location, socket_connect_timeout=timeout, socket_timeout=timeout)


def hit_counter(key: str, window_seconds: int) -> int | None:
    """Count one hit on ``key`` in the current window; None when Redis is unreachable.

    One round trip: the window's counter is made if missing and counted in one
    transaction, in the cache's Redis and under the cache's (tenant-aware) key, so
    ``cache.get`` reads it as any other counter.
    """
    try:
        config = settings.CACHES["default"]
        client = _redis(config["LOCATION"], config.get("OPTIONS", {}).get("socket_timeout"))
        stored_key = cache.make_and_validate_key(key)
        with client.pipeline(transaction=True) as pipe:
            pipe.set(stored_key, 0, ex=window_seconds + 5, nx=True)
            pipe.incr(stored_key)
            _, count = pipe.execute()
        return int(count)
    except Exception as exc:  # a limiter must not take the API down with Redis
        RATE_LIMIT_BACKEND_FAILURES.inc()
        logger.warning("rate_limit_backend_unavailable", error=repr(exc))
        return None


class FixedWindowThrottle(BaseThrottle, ABC):
    scope = ""

    @abstractmethod
    def limit(self, request: Request) -> int:
        """Requests allowed per window."""

    @abstractmethod
    def identity(self, request: Request) -> str | None:
        """Who is counted; None exempts the request."""

    def allow_request(self, request: Request, view: "APIView") -> bool:
        ident = self.identity(request)
        if ident is None:
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        self._retry_after = WINDOW_SECONDS * (window + 1) - now
        count = hit_counter(f"ratelimit:{self.scope}:{ident}:{window}", WINDOW_SECONDS)
        if count is None or count <= self.limit(request):
            return True
        REQUESTS_THROTTLED.labels(scope=self.scope).inc()
        return False

    def wait(self) -> float:
        return max(1.0, self._retry_after)


class TenantRateThrottle(FixedWindowThrottle):
    """All requests to one tenant: the tenant's share of the installation."""

    scope = "tenant"

    def limit(self, request: Request) -> int:
        return settings.RATE_LIMIT_TENANT_PER_MINUTE

    def identity(self, request: Request) -> str | None:
        return "all"


class UserRateThrottle(FixedWindowThrottle):
    """One user (or, before authentication, one client address)."""

    scope = "user"

    def limit(self, request: Request) -> int:
        if request_is_authenticated(request):
            return settings.RATE_LIMIT_USER_PER_MINUTE
        return settings.RATE_LIMIT_ANON_PER_MINUTE

    def identity(self, request: Request) -> str | None:
        if request_is_authenticated(request):
            return f"user:{request.user.pk}"
        return f"ip:{client_address(request)}"


def request_is_authenticated(request: Request) -> bool:
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated)
