"""Failed sign-ins are limited per (client address, username) and per client address,
per tenant.

Only failures count, so a user who types their password right is never held back
by the limiter. A run of failures locks that username from that address (and, at a
higher bar, that address for every username) for the rest of the window. Nothing
is counted per username alone: such a lock would let anyone lock a colleague out
by typing wrong passwords for them, while the right password from another address
must always get in.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from core.api.throttling import hit_counter

# An office behind one NAT address has many people; give the address more room.
ADDRESS_FACTOR = 4


@dataclass(frozen=True)
class LoginGate:
    username: str
    address: str

    def _keys(self) -> list[tuple[str, int]]:
        window = settings.LOGIN_FAILURE_WINDOW_SECONDS
        slot = int(time.time() // window)
        allowed = settings.LOGIN_FAILURES_ALLOWED
        return [
            (f"loginfail:pair:{self.address}:{self._username_digest()}:{slot}", allowed),
            (f"loginfail:addr:{self.address}:{slot}", allowed * ADDRESS_FACTOR),
        ]

    def _username_digest(self) -> str:
        # Usernames are whatever a client typed: a digest keeps the cache key short and
        # free of spaces and control characters.
        return hashlib.sha256(self.username.lower().encode()).hexdigest()[:32]

    def retry_after(self) -> float | None:
        """Seconds until another attempt is allowed, or None if allowed now."""
        try:
            counts = cache.get_many([key for key, _ in self._keys()])
        except Exception:  # the limiter fails open; hit_counter logs and counts outages
            return None
        for key, allowed in self._keys():
            if int(counts.get(key, 0)) >= allowed:
                window = settings.LOGIN_FAILURE_WINDOW_SECONDS
                return window - (time.time() % window)
        return None

    def record_failure(self) -> None:
        for key, _ in self._keys():
            hit_counter(key, settings.LOGIN_FAILURE_WINDOW_SECONDS)
