"""``import_work_orders``: historical work orders from CSV, XLSX or JSON.

Rows match existing work orders by ``external_ref`` (preferred) or ``number``;
a second run updates what changed and duplicates nothing. People are named by
username, assets by asset_id. Costs (labor_cost, parts_cost, other_cost) and
actual_hours become imported cost lines, so totals still add up.
"""

from decimal import Decimal
from typing import Any

from django.db import models
from rest_framework import serializers

from core.importing import Importer, Outcome, RowRejected
from maintenance.choices import Priority, Status, WorkType
from maintenance.services.history_import import (
    ImportedCosts,
    asset_or_reject,
    user_or_reject,
    work_order_import,
)


class WorkOrderRowSerializer(serializers.Serializer):
    number = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$", required=False)
    external_ref = serializers.CharField(max_length=100, required=False)
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    asset_id = serializers.CharField(max_length=64, required=False)
    work_type = serializers.ChoiceField(choices=WorkType.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    assigned_to = serializers.CharField(max_length=150, required=False)
    requested_by = serializers.CharField(max_length=150, required=False)
    created_at = serializers.DateTimeField(required=False)
    scheduled_start = serializers.DateTimeField(required=False)
    scheduled_end = serializers.DateTimeField(required=False)
    due_at = serializers.DateTimeField(required=False)
    started_at = serializers.DateTimeField(required=False)
    completed_at = serializers.DateTimeField(required=False)
    cancelled_at = serializers.DateTimeField(required=False)
    estimated_hours = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=Decimal(0), required=False
    )
    actual_hours = serializers.DecimalField(
        max_digits=9, decimal_places=2, min_value=Decimal(0), required=False
    )
    labor_cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False
    )
    parts_cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False
    )
    other_cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal(0), required=False
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    findings = serializers.CharField(required=False, allow_blank=True)
    recommendations = serializers.CharField(required=False, allow_blank=True)
    cancel_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("number") and not attrs.get("external_ref"):
            raise serializers.ValidationError(
                {"external_ref": ["Give an external_ref or a number to match on."]}
            )
        return attrs


COST_FIELDS = ("actual_hours", "labor_cost", "parts_cost", "other_cost")


class WorkOrderImporter(Importer):
    key_field = "external_ref"
    columns = frozenset(WorkOrderRowSerializer().fields)

    def __init__(self, *, by: Any = None) -> None:
        super().__init__(by=by)
        self._validate = WorkOrderRowSerializer()

    def import_row(self, data: dict[str, Any]) -> tuple[Outcome, models.Model]:
        raw = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in data.items()
            if v is not None
        }
        try:
            row = dict(self._validate.run_validation(raw))
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"row": exc.detail}
            raise RowRejected(
                "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in detail.items())
            ) from exc
        costs = ImportedCosts(**{name: row.pop(name, None) for name in COST_FIELDS})
        number = row.pop("number", None)
        external_ref = row.pop("external_ref", "")
        if "asset_id" in row:
            row["asset"] = asset_or_reject(row.pop("asset_id"))
        for field in ("assigned_to", "requested_by"):
            if field in row:
                row[field] = user_or_reject(field, row[field])
        if "status" not in row:
            row["status"] = Status.COMPLETED if row.get("completed_at") else Status.OPEN
        return work_order_import(
            by=self.by, values=row, costs=costs, number=number, external_ref=external_ref
        )
