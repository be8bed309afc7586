"""Errors raised by services; the API turns them into the contract's shapes."""


class DomainError(Exception):
    """Base of the errors a service raises on purpose."""


class Conflict(DomainError):
    """The object's state forbids the operation (409 ``{detail, code}``)."""

    def __init__(self, detail: str, code: str = "conflict") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class Forbidden(DomainError):
    """The person may not do this to this object (403 ``{detail}``)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(DomainError):
    """Input that only the service can judge wrong (400 ``{field: [messages]}``)."""

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"non_field_errors": [errors]}
        super().__init__(str(errors))
        self.errors = errors


def describe(exc: Exception) -> str:
    """One line a person can act on, for any refusal (or validation error) of a service."""
    from django.core.exceptions import ValidationError
    from django.db import DatabaseError

    if isinstance(exc, InvalidInput):
        return "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items())
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return " ".join(exc.messages)
    if isinstance(exc, Conflict | Forbidden):
        return exc.detail
    if isinstance(exc, DatabaseError):
        return f"database refused the row: {str(exc).splitlines()[0]}"
    return str(exc)
