"""What a call to a vendor can end in, besides an answer."""


class VendorError(Exception):
    """A call to the vendor failed for good (after retries where retrying made sense)."""


class RetryableError(VendorError):
    """A failure worth another try: 429, 5xx, timeouts, broken or malformed answers."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthRefused(VendorError):
    """The vendor refused the credentials (401/403): no retry changes that."""
