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


class StrictFieldsMixin:
    fields: Mapping[str, serializers.Field]

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(StrictFieldsMixin, serializers.Serializer):
    pass


class StrictModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    pass
