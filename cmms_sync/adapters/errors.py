"""What a call to a vendor can end in, besides an answer."""


class VendorError(Exception):
    """A call to the vendor failed for good (after retries where retrying made sense).

    ``unsent``: the vendor surely did nothing with the request (it answered with a
    refusal, or was never reached). Otherwise a write may have happened without our
    hearing of it (a lost answer, a timeout, a 5xx after the work was done).
    """

    def __init__(self, message: str, *, unsent: bool = False) -> None:
        super().__init__(message)
        self.unsent = unsent


class RetryableError(VendorError):
    """A failure worth another try: 429, 5xx, timeouts, broken or malformed answers."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, unsent: bool = False
    ) -> None:
        super().__init__(message, unsent=unsent)
        self.retry_after = retry_after


class AuthRefused(VendorError):
    """The vendor refused the credentials (401/403): no retry changes that."""

    def __init__(self, message: str) -> None:
        super().__init__(message, unsent=True)
