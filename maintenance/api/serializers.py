from decimal import Decimal
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.api.serializers import AssetRefField
from assets.models import Meter
from core.api.bodies import StrictModelSerializer, StrictSerializer
from core.api.serializers import PublicShapeMixin
from core.models import User
from inventory.models import Part, StockLocation
from maintenance.choices import Priority, Status, StepKind, WorkType
from maintenance.events import work_order_payload
from maintenance.models import (
    Attachment,
    Comment,
    LaborEntry,
    MaintenanceEvent,
    OtherCost,
    TemplatePart,
    TemplateStep,
    WorkOrder,
    WorkOrderPart,
    WorkOrderStep,
    WorkOrderTemplate,
    WorkRequest,
)


class UserRefField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(**kwargs)


SLA_STATES = ["ok", "warning", "breached", "met"]


class WorkOrderSLASerializer(serializers.Serializer):
    """The work order's SLA clocks (the `sla` slot, filled by the SLA app)."""

    policy = serializers.IntegerField(help_text="The SLA policy that applies.")
    response_due_at = serializers.DateTimeField(
        help_text="When the first start is due: the policy's response minutes of working time "
        "after `reported_at` (moved only by pauses and priority changes)."
    )
    resolution_due_at = serializers.DateTimeField(help_text="When completion is due.")
    responded_at = serializers.DateTimeField(
        allow_null=True, help_text="The first move to in_progress."
    )
    resolved_at = serializers.DateTimeField(allow_null=True, help_text="The completion.")
    response_state = serializers.ChoiceField(
        choices=SLA_STATES,
        help_text="ok, warning (past the policy's warning threshold), breached (past due), "
        "or met (stopped in time).",
    )
    resolution_state = serializers.ChoiceField(choices=SLA_STATES)
    paused = serializers.BooleanField(
        help_text="On hold under a policy that pauses on hold: the clocks stand still."
    )


class WorkOrderSerializer(PublicShapeMixin, StrictModelSerializer):
    payload_builder = staticmethod(work_order_payload)
    asset_id = AssetRefField(source="asset", required=False, allow_null=True)
    asset_name = serializers.CharField(source="asset.name", read_only=True, default=None)
    assigned_to = UserRefField(required=False, allow_null=True)
    requested_by = UserRefField(required=False, allow_null=True)
    request = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    # Output comes from the payload builder; these fields describe it in the schema.
    schedule = serializers.IntegerField(read_only=True, allow_null=True)
    sla = WorkOrderSLASerializer(
        read_only=True,
        allow_null=True,
        help_text="Null when no SLA policy applies to the work order.",
    )
    overdue = serializers.BooleanField(read_only=True)
    stops_asset = serializers.BooleanField(required=False, allow_null=True, default=None)

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "title",
            "description",
            "asset_id",
            "asset_name",
            "work_type",
            "priority",
            "status",
            "assigned_to",
            "requested_by",
            "scheduled_start",
            "scheduled_end",
            "due_at",
            "started_at",
            "completed_at",
            "cancelled_at",
            "reported_at",
            "failed_at",
            "estimated_hours",
            "actual_hours",
            "labor_cost",
            "parts_cost",
            "other_cost",
            "total_cost",
            "schedule",
            "source",
            "external_ref",
            "sla",
            "template",
            "follow_up_of",
            "request",
            "stops_asset",
            "overdue",
            "notes",
            "findings",
            "recommendations",
            "hold_reason",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "status",
            "started_at",
            "completed_at",
            "cancelled_at",
            "actual_hours",
            "labor_cost",
            "parts_cost",
            "other_cost",
            "total_cost",
            "source",
            "template",
            "follow_up_of",
            "notes",
            "findings",
            "recommendations",
            "hold_reason",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"external_ref": {"validators": []}}


class WorkOrderCreateSerializer(WorkOrderSerializer):
    """Creation also takes the checklist and the planned parts in one go."""

    steps = serializers.ListField(
        child=serializers.DictField(), required=False, write_only=True, max_length=500
    )
    parts = serializers.ListField(
        child=serializers.DictField(), required=False, write_only=True, max_length=200
    )

    class Meta(WorkOrderSerializer.Meta):
        fields = [*WorkOrderSerializer.Meta.fields, "steps", "parts"]

    def validate_steps(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cleaned = []
        for step in steps:
            serializer = StepInputSerializer(data=step)
            serializer.is_valid(raise_exception=True)
            cleaned.append(serializer.validated_data)
        return cleaned

    def validate_parts(self, parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cleaned = []
        for line in parts:
            serializer = PlannedPartSerializer(data=line)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            if data.get("part") is None:
                # Non-stock items carry a cost; add them with POST .../parts/ once the order exists.
                raise serializers.ValidationError("Plan stocked parts here (part: its id).")
            cleaned.append({"part": data["part"], "quantity_planned": data["quantity"]})
        return cleaned


class StepInputSerializer(StrictModelSerializer):
    meter = serializers.PrimaryKeyRelatedField(
        queryset=Meter.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = WorkOrderStep
        fields = [
            "order",
            "title",
            "kind",
            "instructions",
            "expected_min",
            "expected_max",
            "unit",
            "meter",
        ]
        extra_kwargs = {"order": {"required": False}}


class StepSerializer(StrictModelSerializer):
    done_by = serializers.CharField(source="done_by.username", read_only=True, default=None)

    class Meta:
        model = WorkOrderStep
        fields = [
            "id",
            "order",
            "title",
            "kind",
            "instructions",
            "expected_min",
            "expected_max",
            "unit",
            "meter",
            "done",
            "result",
            "value",
            "failed",
            "reading",
            "notes",
            "done_by",
            "done_at",
        ]
        read_only_fields = ["value", "failed", "reading", "done_by", "done_at"]


class StepRecordSerializer(StrictSerializer):
    done = serializers.BooleanField(required=False)
    result = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # A number step may be sent a JSON number.
        if (
            isinstance(data, dict)
            and isinstance(data.get("result"), int | float)
            and not isinstance(data.get("result"), bool)
        ):
            data = {**data, "result": str(data["result"])}
        return super().to_internal_value(data)


class PlannedPartSerializer(StrictSerializer):
    part = serializers.PrimaryKeyRelatedField(
        queryset=Part.objects.all(), required=False, allow_null=True
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    unit_cost = serializers.DecimalField(
        max_digits=14, decimal_places=4, required=False, min_value=Decimal(0)
    )


class WorkOrderPartSerializer(StrictModelSerializer):
    part_number = serializers.CharField(source="part.part_number", read_only=True, default=None)
    part_name = serializers.CharField(source="part.name", read_only=True, default=None)

    class Meta:
        model = WorkOrderPart
        fields = [
            "id",
            "part",
            "part_number",
            "part_name",
            "description",
            "quantity_planned",
            "quantity_used",
            "unit_cost",
            "cost",
        ]
        read_only_fields = fields


class LaborEntrySerializer(StrictModelSerializer):
    technician = UserRefField(required=False, allow_null=True)
    rate = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, min_value=Decimal(0)
    )
    work_date = serializers.DateField(required=False)

    class Meta:
        model = LaborEntry
        fields = ["id", "technician", "hours", "rate", "cost", "work_date", "notes", "created_at"]
        read_only_fields = ["id", "cost", "created_at"]
        extra_kwargs = {"hours": {"min_value": Decimal("0.01"), "max_value": Decimal(1000)}}


class OtherCostSerializer(StrictModelSerializer):
    incurred_on = serializers.DateField(required=False)

    class Meta:
        model = OtherCost
        fields = ["id", "category", "description", "amount", "incurred_on", "created_at"]
        read_only_fields = ["id", "created_at"]


class CommentSerializer(StrictModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class AttachmentSerializer(StrictModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "download_url", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_download_url(self, attachment: Attachment) -> str:
        return reverse("attachment-download", args=[attachment.pk])


class UploadSerializer(StrictSerializer):
    file = serializers.FileField()


class AssignSerializer(StrictSerializer):
    assigned_to = UserRefField(allow_null=True)


class HoldSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class CancelSerializer(HoldSerializer):
    pass


class PartUseSerializer(StrictSerializer):
    part = serializers.PrimaryKeyRelatedField(queryset=Part.objects.all())
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    location = serializers.PrimaryKeyRelatedField(
        queryset=StockLocation.objects.all(), required=False, allow_null=True
    )


class CompleteSerializer(StrictSerializer):
    actual_hours = serializers.DecimalField(
        max_digits=9, decimal_places=2, required=False, min_value=Decimal(0)
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    recommendations = serializers.CharField(required=False, allow_blank=True, default="")
    parts_used = PartUseSerializer(many=True, required=False, max_length=500)
    failed_at = serializers.DateTimeField(
        required=False,
        help_text="When the asset stopped doing its job (corrective and emergency work "
        "record a failure with it).",
    )


class StatusSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class FromTemplateSerializer(StrictSerializer):
    template = serializers.PrimaryKeyRelatedField(queryset=WorkOrderTemplate.objects.all())
    asset_id = AssetRefField(required=False, allow_null=True)
    title = serializers.CharField(required=False, max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    work_type = serializers.ChoiceField(choices=WorkType.choices, required=False)
    due_at = serializers.DateTimeField(required=False)
    scheduled_start = serializers.DateTimeField(required=False)
    scheduled_end = serializers.DateTimeField(required=False)
    assigned_to = UserRefField(required=False, allow_null=True)


class TemplateStepSerializer(StrictModelSerializer):
    class Meta:
        model = TemplateStep
        fields = [
            "order",
            "title",
            "kind",
            "instructions",
            "expected_min",
            "expected_max",
            "unit",
            "meter_name",
        ]
        extra_kwargs = {"order": {"required": False}}


class TemplatePartSerializer(StrictModelSerializer):
    part = serializers.PrimaryKeyRelatedField(queryset=Part.objects.all())

    class Meta:
        model = TemplatePart
        fields = ["part", "quantity"]
        extra_kwargs = {"quantity": {"min_value": Decimal("0.001")}}


class WorkOrderTemplateSerializer(StrictModelSerializer):
    steps = TemplateStepSerializer(many=True, required=False, max_length=500)
    parts = TemplatePartSerializer(many=True, required=False, max_length=200)

    class Meta:
        model = WorkOrderTemplate
        fields = [
            "id",
            "name",
            "description",
            "work_type",
            "priority",
            "estimated_hours",
            "estimated_cost",
            "active",
            "steps",
            "parts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}

    def validate_steps(self, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for step in steps:
            if step.get("kind") == StepKind.METER and not step.get("meter_name"):
                raise serializers.ValidationError(
                    "A meter step names the meter to read (meter_name)."
                )
        return steps


class WorkRequestSerializer(StrictModelSerializer):
    asset_id = AssetRefField(source="asset", required=False, allow_null=True)
    photos = AttachmentSerializer(many=True, read_only=True)
    requested_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = WorkRequest
        fields = [
            "id",
            "title",
            "description",
            "asset_id",
            "priority",
            "status",
            "channel",
            "requested_by",
            "reporter_name",
            "reporter_contact",
            "photos",
            "work_order",
            "rejection_reason",
            "reviewed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "channel",
            "requested_by",
            "reporter_name",
            "reporter_contact",
            "work_order",
            "rejection_reason",
            "reviewed_at",
            "created_at",
            "updated_at",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs.get("title") or "").strip() and not (attrs.get("description") or "").strip():
            raise serializers.ValidationError(
                {"description": ["Say what is wrong: a title or a description."]}
            )
        return attrs


class ApproveSerializer(StrictSerializer):
    title = serializers.CharField(required=False, max_length=300)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    work_type = serializers.ChoiceField(choices=WorkType.choices, required=False)
    due_at = serializers.DateTimeField(required=False)
    assigned_to = UserRefField(required=False, allow_null=True)


class RejectSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=5000)


class MaintenanceEventSerializer(StrictModelSerializer):
    asset_id = serializers.CharField(source="asset.asset_id", read_only=True, default=None)
    work_order_number = serializers.CharField(
        source="work_order.number", read_only=True, default=None
    )
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = MaintenanceEvent
        fields = [
            "id",
            "occurred_at",
            "kind",
            "summary",
            "asset_id",
            "work_order",
            "work_order_number",
            "actor",
            "data",
        ]
        read_only_fields = fields
