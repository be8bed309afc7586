"""One exception handler for the whole API: the error shapes of the contract.

400 ``{field: [messages]}``, 409 ``{detail, code}``, 429 with ``Retry-After``.
Database errors a client can provoke with odd input become 4xx, never 500.
"""

from typing import Any

import structlog
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.exceptions import Conflict, Forbidden, InvalidInput

logger = structlog.get_logger(__name__)


def _validation_payload(data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    return {"non_field_errors": data if isinstance(data, list) else [data]}


def _conflict(detail: str, code: str) -> Response:
    set_rollback()
    return Response({"detail": detail, "code": code}, status=status.HTTP_409_CONFLICT)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Conflict):
        return _conflict(exc.detail, exc.code)
    if isinstance(exc, Forbidden):
        exc = PermissionDenied(exc.detail)
    elif isinstance(exc, InvalidInput):
        set_rollback()
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        payload = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = ValidationError(payload)
    elif isinstance(exc, ProtectedError | RestrictedError):
        return _conflict("This object is still referenced by other records.", "protected")
    elif isinstance(exc, IntegrityError):
        logger.info("integrity_conflict", error=str(exc).splitlines()[0])
        return _conflict("The change conflicts with existing data.", "integrity_error")
    elif isinstance(exc, DataError):
        logger.info("data_error", error=str(exc).splitlines()[0])
        exc = ValidationError({"non_field_errors": ["A value is out of range or malformed."]})

    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        response.data = _validation_payload(response.data)
    return response
