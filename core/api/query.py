"""Serializers that read a query string.

Other parameters share the query string (pagination, filters, ordering), so names
a serializer does not know are left alone. A parameter sent empty (``?start_date=``)
is refused rather than read as absent, as DRF does for form-like input: an empty
date is not "no date". Text parameters may be empty.
"""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


class QueryParametersSerializer(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            empty = sorted(
                name
                for name, field in self.fields.items()
                if not isinstance(field, serializers.CharField) and data.get(name) == ""
            )
            if empty:
                raise serializers.ValidationError({name: ["May not be empty."] for name in empty})
        return super().to_internal_value(data)
