"""``import_schedules``: PM schedules from CSV, XLSX or JSON, matched by name.

Columns are the API's schedule fields. ``assets`` lists asset_ids separated by
commas or semicolons; ``template`` and ``calendar`` are given by name;
``condition_metric`` / ``condition_operator`` / ``condition_threshold`` /
``condition_duration_minutes`` describe a condition; ``required_skills`` and
``required_tools`` are comma-separated lists.
"""

import re
from typing import Any

from django.db import models

from assets.models import Asset
from core.audit import snapshot
from core.importing import Importer, Outcome, RowRejected
from maintenance.models import MaintenanceCalendar, PMSchedule, WorkOrderTemplate
from maintenance.pm.api.serializers import ScheduleSerializer, schedule_fields
from maintenance.pm.schedules import SCHEDULE_FIELDS, schedule_create, schedule_update

LISTS = ("required_skills", "required_tools")


def _split(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in re.split(r"[;,]", str(value)) if part.strip()]


class ScheduleImporter(Importer):
    key_field = "name"
    columns = frozenset(
        {
            *ScheduleSerializer().fields,
            "condition_metric",
            "condition_operator",
            "condition_threshold",
            "condition_duration_minutes",
        }
        - {"id", "next_due_at", "last_generated_at", "created_at", "updated_at", "condition_input"}
    )

    def import_row(self, data: dict[str, Any]) -> tuple[Outcome, models.Model]:
        name = str(data.get("name") or "").strip()
        if not name:
            raise RowRejected("name: required")
        existing = PMSchedule.objects.filter(name__iexact=name).first()
        payload = {
            k: v for k, v in data.items() if v is not None and k in ScheduleSerializer().fields
        }
        payload["name"] = existing.name if existing else name
        if "assets" in payload:
            payload["assets"] = _split(payload["assets"])
        for field in LISTS:
            if field in payload:
                payload[field] = _split(payload[field])
        if data.get("condition_metric"):
            payload["condition"] = {
                "metric": data["condition_metric"],
                "operator": data.get("condition_operator"),
                "threshold": data.get("condition_threshold"),
                "duration_minutes": data.get("condition_duration_minutes") or 0,
            }
        for field, model in (("template", WorkOrderTemplate), ("calendar", MaintenanceCalendar)):
            if field in payload:
                found = model.objects.filter(name__iexact=str(payload[field])).first()
                if found is None:
                    raise RowRejected(f"{field}: no {field} named {payload[field]!r}")
                payload[field] = found.pk
        serializer = ScheduleSerializer(
            instance=existing, data=payload, partial=existing is not None
        )
        if not serializer.is_valid():
            raise RowRejected(
                "; ".join(
                    f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                    for k, v in serializer.errors.items()
                )
            )
        fields, assets = _fields(serializer.validated_data)
        if existing is None:
            return "created", schedule_create(by=self.by, assets=assets or [], **fields)
        before = (
            snapshot(existing, SCHEDULE_FIELDS),
            sorted(existing.assets.values_list("pk", flat=True)),
        )
        updated = schedule_update(by=self.by, schedule=existing, assets=assets, **fields)
        after = (
            snapshot(updated, SCHEDULE_FIELDS),
            sorted(updated.assets.values_list("pk", flat=True)),
        )
        return ("updated" if after != before else "unchanged"), updated


def _fields(validated: dict[str, Any]) -> tuple[dict[str, Any], list[Asset] | None]:
    return schedule_fields(validated)
