"""How the OpenAPI schema is generated: the error answers every route shares."""

from typing import Any

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


class ContractAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the error answers every route shares, documented
    once here rather than on each view: 400 where a body or query is read, 401/403
    where a user is needed, 404 where the path names an object, 409/413/415 on
    writes, 429 everywhere (rate limits)."""

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

    def _map_serializer_field(
        self, field: Any, direction: Direction, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A read-only field with default None (a name read through an optional relation,
        # `source="asset.name"`) answers null when the relation is empty.
        if field.read_only and getattr(field, "default", empty) is None:
            schema = _nullable(schema)
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
