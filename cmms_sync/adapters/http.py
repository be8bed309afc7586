"""Calls to a vendor's API: through the outbound guard, with timeouts and retries.

Retried with exponential backoff and jitter (tenacity): 429 (waiting what
``Retry-After`` says, capped), 5xx, timeouts, dropped connections and bodies that
are not the JSON promised. A refusal of the credentials (401/403) is final at
once, and so is any other 4xx and a redirect (never followed).

A write that must not happen twice (a create) is sent with ``retry_sent=False``:
only failures that prove the vendor never acted on it (never reached, 429) are
retried; after any other the outcome is unknown, and the caller has to find out.
"""

import email.utils
import json
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from django.conf import settings
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from cmms_sync.adapters.errors import AuthRefused, RetryableError, VendorError
from core.outbound import ResponseTooLarge, guarded_client

logger = structlog.get_logger(__name__)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parsed = email.utils.parsedate_to_datetime(value) if value else None
    if parsed is None:
        return None
    return max(0.0, parsed.timestamp() - time.time())


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    body: Any


class VendorHttp:
    """A guarded HTTP client for one connection; ``call`` sends and retries one request."""

    def __init__(
        self,
        *,
        base_url: str,
        timeout: float | None = None,
        attempts: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout or settings.CMMS_SYNC_TIMEOUT_SECONDS
        self.attempts = attempts or settings.CMMS_SYNC_ATTEMPTS
        self.client = guarded_client(
            timeout=self.timeout,
            max_bytes=settings.CMMS_SYNC_MAX_RESPONSE_BYTES,
            headers=headers,
        )

    def close(self) -> None:
        self.client.close()

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, RetryableError) and error.retry_after is not None:
            return min(error.retry_after, settings.CMMS_SYNC_RETRY_AFTER_MAX_SECONDS)
        base = settings.CMMS_SYNC_RETRY_SECONDS
        backoff = min(base * 2 ** (state.attempt_number - 1), settings.CMMS_SYNC_RETRY_MAX_SECONDS)
        # Full jitter on top, so many connections retrying at once spread out.
        return backoff + random.uniform(0, base)  # noqa: S311 - not for secrets

    def call(
        self,
        method: str,
        url: str,
        *,
        expect_json: bool = True,
        retry_sent: bool = True,
        **kwargs: Any,
    ) -> Reply:
        """Send one request (retried as the module says); the decoded answer or an error."""

        def worth_retrying(exc: BaseException) -> bool:
            return isinstance(exc, RetryableError) and (retry_sent or exc.unsent)

        retrying = Retrying(
            retry=retry_if_exception(worth_retrying),
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            reraise=True,
        )
        return retrying(self._once, method, url, expect_json=expect_json, **kwargs)

    def _once(self, method: str, url: str, *, expect_json: bool, **kwargs: Any) -> Reply:
        try:
            response = self.client.request(method, url, **kwargs)
        except ResponseTooLarge as exc:
            raise VendorError("The vendor's answer is too large.") from exc
        except httpx.TimeoutException as exc:
            raise RetryableError("The vendor did not answer in time.") from exc
        except httpx.ConnectError as exc:
            # The guard refuses by raising ConnectError before connecting: that is final.
            if exc.__cause__ is not None and type(exc.__cause__).__name__ == "OutboundRefused":
                raise VendorError(str(exc), unsent=True) from exc
            raise RetryableError(f"The vendor cannot be reached ({exc}).", unsent=True) from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise RetryableError(f"The connection to the vendor broke ({exc}).") from exc
        status = response.status_code
        if status in (401, 403):
            raise AuthRefused(f"The vendor refused the credentials (HTTP {status}).")
        if status == 429:
            raise RetryableError(
                "The vendor asked us to slow down (HTTP 429).",
                retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
                unsent=True,
            )
        if status >= 500:
            raise RetryableError(
                f"The vendor failed (HTTP {status}).",
                retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
            )
        if 300 <= status < 400:
            raise VendorError(f"The vendor answered with a redirect (HTTP {status}); not followed.")
        if status >= 400:
            raise VendorError(
                f"The vendor refused the request (HTTP {status}): {_brief(response)}", unsent=True
            )
        if not expect_json or not response.content:
            return Reply(status, response.headers, None)
        try:
            body = json.loads(response.content)
        except ValueError as exc:
            raise RetryableError("The vendor's answer is not valid JSON.") from exc
        return Reply(status, response.headers, body)


def _brief(response: httpx.Response) -> str:
    return response.text[:300].replace("\n", " ")
