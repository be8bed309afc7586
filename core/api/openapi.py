"""How the OpenAPI schema is generated: the error answers every route shares."""

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import Direction
from rest_framework import serializers
from rest_framework.fields import empty

from core.api.bodies import StrictFieldsMixin


class ErrorSerializer(serializers.Serializer):
    """401, 403, 404, 409, 413, 415, 429: what went wrong, and for conflicts a code."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `{field: [messages]}` (nested like the body), or `{detail}`.",
    "401": "Not signed in, or the token is invalid, expired or for another tenant.",
    "403": "Signed in, but your role may not do this.",
    "404": "No such object, or not one you may see.",
    "409": "The object's state does not allow this (`{detail, code}`).",
    "413": "The request body is too large.",
    "415": "The request body is not in a media type this route reads.",
    "429": "Too many requests; retry after `Retry-After` seconds.",
}
NUMBER_FILTER_BOUND = 1e50
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"allOf": [schema], "nullable": True}
    return {**schema, "nullable": True}


def _model_allows_blank(field: serializers.Field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except FieldDoesNotExist:
        return False


class ContractAutoSchema(AutoSchema):
    """drf-spectacular's schema, made true of what the API answers, once here rather
    than on each view: the error answers every route shares (400, 401, 403, 404 and
    429 everywhere, 409/413/415 on writes), nullable read-only names, plain arrays
    for actions that do not page, closed request bodies, real filter bounds."""

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            responses.setdefault(code, self._error_response(code))
        return responses

    def _error_codes(self) -> list[str]:
        # 401 also answers a failed sign-in or a dead refresh token on the open routes.
        # 404: an object one may not see (in the path or the query), or a page past the end.
        codes = ["400", "401", "403", "404", "429"]
        if self.method in WRITE_METHODS:
            codes += ["409", "413", "415"]
        return codes

    def _get_paginator(self) -> Any:
        # A view's pagination class pages its list; an extra action returns a page only
        # when it says so (`@action(..., pagination_class=...)`), else a plain array.
        action = getattr(self.view, "action", None)
        if action not in (None, "list"):
            handler = getattr(self.view, action, None)
            if "pagination_class" not in getattr(handler, "kwargs", {}):
                return None
        return super()._get_paginator()

    def _map_serializer_field(
        self, field: Any, direction: Direction, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A read-only field with default None (a name read through an optional relation,
        # `source="asset.name"`) answers null when the relation is empty.
        if field.read_only and getattr(field, "default", empty) is None:
            schema = _nullable(schema)
        # DRF drops allow_blank from read-only fields; a blank choice is still answered.
        if (
            direction == "response"
            and isinstance(field, serializers.ChoiceField)
            and field.read_only
            and _model_allows_blank(field)
        ):
            schema = {"anyOf": [schema, {"type": "string", "enum": [""]}]}
        return schema

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "number":
                # A bound is something to compare with, not a value to store: the model's
                # own range does not apply (quantity <= -5 matches nothing, it is not
                # wrong), and django-filter refuses anything past 1e50.
                bounds = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
                kept = {key: value for key, value in schema.items() if key not in bounds}
                parameter["schema"] = {**kept, "maximum": NUMBER_FILTER_BOUND}
        return parameters

    def _map_basic_serializer(self, serializer: Any, direction: Direction) -> dict[str, Any]:
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictFieldsMixin):
            # Unknown fields are refused (core.api.bodies), and the schema says so.
            schema["additionalProperties"] = False
        return schema

    def _error_response(self, code: str) -> dict[str, Any]:
        if code == "400":
            schema = build_basic_type(OpenApiTypes.OBJECT)
        else:
            schema = self.resolve_serializer(ErrorSerializer, "response").ref
        response: dict[str, Any] = {
            "description": ERROR_DESCRIPTIONS[code],
            "content": {"application/json": {"schema": schema}},
        }
        if code == "429":
            response["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait before retrying.",
                }
            }
        return response
