"""Errors raised by services; the API turns them into the contract's shapes."""


class DomainError(Exception):
    """Base of the errors a service raises on purpose."""


class Conflict(DomainError):
    """The object's state forbids the operation (409 ``{detail, code}``)."""

    def __init__(self, detail: str, code: str = "conflict") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class InvalidInput(DomainError):
    """Input that only the service can judge wrong (400 ``{field: [messages]}``)."""

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"non_field_errors": [errors]}
        super().__init__(str(errors))
        self.errors = errors
