from collections.abc import Callable
from typing import Any

from rest_framework import serializers

from core.api.bodies import StrictModelSerializer
from core.models import AuditEntry, User
from core.roles import Role


class UserSerializer(StrictModelSerializer):
    """A person of the tenant. Writes go through core.services."""

    password = serializers.CharField(
        write_only=True, required=False, style={"input_type": "password"}, trim_whitespace=False
    )
    role = serializers.ChoiceField(choices=Role.choices, required=False)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "password",
            "role",
            "first_name",
            "last_name",
            "is_active",
            "hourly_rate",
            "date_joined",
            "last_login",
        ]
        read_only_fields = ["id", "date_joined", "last_login"]
        # Uniqueness is the service's to judge (case-insensitively, under lock).
        extra_kwargs = {"username": {"validators": []}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError({"password": ["This field is required."]})
        return attrs


class AuditEntrySerializer(StrictModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_username",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "request_id",
        ]
        read_only_fields = fields


class PublicShapeMixin:
    """A serializer whose output is its object's public payload.

    Each app's ``events.py`` builds an object's public shape once (the detail
    endpoint's body and the events' data are the same thing); the serializer
    keeps the fields for input and for the schema, and renders through
    ``payload_builder``. A test holds the two field lists equal.
    """

    payload_builder: Callable[[Any], dict[str, Any]]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return type(self).payload_builder(instance)
