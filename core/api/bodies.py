"""Request bodies are read strictly: a field the route does not know is refused.

Silently dropping a misspelt or misnamed field (``asset`` for ``asset_id``, say)
saves something other than what the client meant and answers 2xx. Every serializer
of the API derives from these bases, so every write, nested lists included, answers
400 naming the fields it does not know. Read-only fields are known: a client may send
an object back as a GET returned it, and they are ignored as before.
"""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

UNKNOWN_FIELD = "Unknown field: this route does not take it."
BLANK_NOT_NULL = "An empty string is not a value of this field: send a value, or null for none."

# Fields whose values are never text: DRF reads an empty form field of these as null,
# which a JSON client would never mean and the schema does not allow.
NOT_TEXT_FIELDS = (
    serializers.IntegerField,
    serializers.FloatField,
    serializers.DecimalField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
    serializers.RelatedField,
)


class StrictFieldsMixin:
    fields: Mapping[str, serializers.Field]
    partial: bool
    root: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
            too_long = self._too_long(data)
            if too_long:
                raise serializers.ValidationError(too_long)
            blank = self._blank_for_not_text(data)
            if blank:
                raise serializers.ValidationError(blank)
        return super().to_internal_value(data)  # type: ignore[misc]

    def to_representation(self, instance: Any) -> Any:
        # DRF leaves fields with a default (a name read through an empty relation) out of
        # what a partial update answers; the answer to PATCH is the whole object, as GET.
        if self.partial and self.root is self:
            self.partial = False
            try:
                return super().to_representation(instance)  # type: ignore[misc]
            finally:
                self.partial = True
        return super().to_representation(instance)  # type: ignore[misc]

    def _blank_for_not_text(self, data: Mapping[str, Any]) -> dict[str, list[str]]:
        return {
            name: [BLANK_NOT_NULL]
            for name, field in self.fields.items()
            if not field.read_only
            and isinstance(field, NOT_TEXT_FIELDS)
            and name in data
            and data.get(name) == ""
        }

    def _too_long(self, data: Mapping[str, Any]) -> dict[str, list[str]]:
        # Lengths count what was sent: DRF trims surrounding whitespace before its own
        # check, so a value past the documented maxLength would otherwise pass.
        errors = {}
        for name, field in self.fields.items():
            value = data.get(name)
            limit = getattr(field, "max_length", None)
            if (
                isinstance(field, serializers.CharField)
                and not field.read_only
                and isinstance(value, str)
                and limit is not None
                and len(value) > limit
            ):
                errors[name] = [f"Ensure this field has no more than {limit} characters."]
        return errors


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    pass
