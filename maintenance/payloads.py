"""Work orders as their detail endpoint shows them, for many at once.

Events carry the detail representation. For a single work order the services
run the API's serializer; a PM run creating thousands at once uses this, which
reads plain rows in one query and formats each value with the same DRF field
the serializer would use. A test holds the two outputs equal.
"""

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from maintenance.choices import ACTIVE_STATUSES
from maintenance.models import WorkOrder

# Relations shown as their id (the serializer's PrimaryKeyRelatedFields and method fields).
ID_FIELDS = {"assigned_to", "requested_by", "template", "follow_up_of", "schedule"}


def _plan() -> tuple[dict[str, serializers.Field], list[str]]:
    from maintenance.api.serializers import WorkOrderSerializer

    fields = {
        name: field for name, field in WorkOrderSerializer().fields.items() if not field.write_only
    }
    columns = [
        "asset__asset_id",
        "asset__name",
        "request__id",
        *(f"{name}_id" for name in ID_FIELDS),
    ]
    for name, field in fields.items():
        if name in ID_FIELDS or name in {"asset_id", "asset_name", "request", "sla", "overdue"}:
            continue
        columns.append(field.source)
    return fields, columns


def work_order_payloads(ids: list[int]) -> dict[int, dict[str, Any]]:
    """{id: payload} for the given work orders, in one query."""
    fields, columns = _plan()
    now = timezone.now()
    payloads = {}
    for row in WorkOrder.objects.filter(pk__in=ids).values(*columns):
        payload: dict[str, Any] = {}
        for name, field in fields.items():
            if name == "asset_id":
                payload[name] = row["asset__asset_id"]
            elif name == "asset_name":
                payload[name] = row["asset__name"]
            elif name == "request":
                payload[name] = row["request__id"]
            elif name in ID_FIELDS:
                payload[name] = row[f"{name}_id"]
            elif name == "sla":
                payload[name] = None
            elif name == "overdue":
                payload[name] = bool(
                    row["due_at"] and row["due_at"] < now and row["status"] in ACTIVE_STATUSES
                )
            else:
                value = row[field.source]
                payload[name] = None if value is None else field.to_representation(value)
        payloads[row["id"]] = payload
    return payloads
