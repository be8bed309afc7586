"""The preventive maintenance API: calendars, schedules, generation, forecasts, statistics."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.choices import AssetType, Operator, Severity
from assets.models import Asset
from core.api.bodies import StrictModelSerializer, StrictSerializer
from core.api.lookups import ID_LOOKUP
from core.api.query import QueryParametersSerializer
from core.exceptions import InvalidInput
from inventory.models import Part
from maintenance import pm_selectors
from maintenance.choices import Frequency, ScheduleMode, TriggerEvent, TriggerType, WorkType
from maintenance.models import MaintenanceCalendar, PMSchedule, WorkOrderTemplate
from maintenance.scheduling import WorkingCalendar
from maintenance.services import pm as services

PERFORMANCE_OR_METER = "a performance metric (temperature, vibration, ...) or meter:<meter name>"


class CalendarSerializer(StrictModelSerializer):
    working_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), max_length=7
    )
    working_hours = serializers.ListField(child=serializers.CharField(max_length=11), max_length=12)
    holidays = serializers.ListField(child=serializers.DateField(), required=False, max_length=2000)

    class Meta:
        model = MaintenanceCalendar
        fields = [
            "id",
            "name",
            "timezone",
            "working_days",
            "working_hours",
            "holidays",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        merged = {
            "timezone": attrs.get("timezone", getattr(self.instance, "timezone", "UTC")),
            "working_days": attrs.get("working_days", getattr(self.instance, "working_days", [])),
            "working_hours": attrs.get(
                "working_hours", getattr(self.instance, "working_hours", [])
            ),
            "holidays": [
                d.isoformat()
                for d in attrs.get("holidays", getattr(self.instance, "holidays", []) or [])
            ],
        }
        try:
            WorkingCalendar.from_config(**merged)
        except (ValueError, TypeError) as exc:
            raise serializers.ValidationError({"working_hours": [str(exc)]}) from exc
        return attrs


class CalendarViewSet(viewsets.ModelViewSet):
    """Working calendars: due dates outside working time move to the next working slot."""

    queryset = MaintenanceCalendar.objects.all()
    serializer_class = CalendarSerializer
    lookup_value_regex = ID_LOOKUP
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]

    def perform_destroy(self, instance: MaintenanceCalendar) -> None:
        from core.audit import audit_record

        audit_record(actor=self.request.user, action="calendar.delete", obj=instance)
        instance.delete()


class ConditionSerializer(StrictSerializer):
    metric = serializers.CharField(max_length=100, help_text=PERFORMANCE_OR_METER)
    operator = serializers.ChoiceField(choices=Operator.choices)
    threshold = serializers.DecimalField(max_digits=16, decimal_places=4)
    duration_minutes = serializers.IntegerField(
        min_value=0, max_value=525600, required=False, default=0
    )


class RequiredPartSerializer(StrictSerializer):
    part = serializers.PrimaryKeyRelatedField(queryset=Part.objects.all())
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))


class AssetCodesField(serializers.ListField):
    """Assets in, and out, by their asset_id codes.

    A schedule may cover thousands of assets, so the codes are looked up in one query
    rather than one per code; unknown codes are reported by their position, like DRF does.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.CharField(max_length=100))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Asset]:
        codes: list[str] = super().to_internal_value(data)
        by_code = {asset.asset_id: asset for asset in Asset.objects.filter(asset_id__in=codes)}
        unknown = {
            index: [f"Object with asset_id={code} does not exist."]
            for index, code in enumerate(codes)
            if code not in by_code
        }
        if unknown:
            raise serializers.ValidationError(unknown)
        return [by_code[code] for code in dict.fromkeys(codes)]

    def to_representation(self, data: Any) -> list[str]:
        return [asset.asset_id for asset in data.all()]


class ScheduleSerializer(StrictModelSerializer):
    assets = AssetCodesField(required=False, max_length=10000)
    meter = serializers.CharField(
        source="meter_name", required=False, allow_blank=True, max_length=100
    )
    condition = serializers.SerializerMethodField()
    condition_input = ConditionSerializer(
        required=False, allow_null=True, write_only=True, source="condition"
    )
    required_parts = RequiredPartSerializer(many=True, required=False, max_length=200)
    template = serializers.PrimaryKeyRelatedField(
        queryset=WorkOrderTemplate.objects.all(), required=False, allow_null=True
    )
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=MaintenanceCalendar.objects.all(), required=False, allow_null=True
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False, allow_blank=True)
    maintenance_type = serializers.ChoiceField(choices=WorkType.choices, required=False)
    trigger_type = serializers.ChoiceField(choices=TriggerType.choices)
    schedule_mode = serializers.ChoiceField(choices=ScheduleMode.choices, required=False)
    trigger_event = serializers.ChoiceField(
        choices=TriggerEvent.choices, required=False, allow_blank=True
    )
    event_min_severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_blank=True
    )
    asset_type = serializers.ChoiceField(
        choices=AssetType.choices, required=False, allow_blank=True
    )
    starts_at = serializers.DateTimeField(required=False)

    class Meta:
        model = PMSchedule
        fields = [
            "id",
            "name",
            "description",
            "maintenance_type",
            "priority",
            "trigger_type",
            "frequency",
            "interval",
            "cron",
            "starts_at",
            "schedule_mode",
            "trigger_value",
            "meter",
            "condition",
            "condition_input",
            "trigger_event",
            "event_min_severity",
            "event_work_type",
            "assets",
            "asset_type",
            "template",
            "calendar",
            "lead_time_days",
            "estimated_duration",
            "estimated_cost",
            "required_skills",
            "required_tools",
            "required_parts",
            "skip_if_open",
            "active",
            "next_due_at",
            "last_generated_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "next_due_at", "last_generated_at", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}

    def to_internal_value(self, data: Any) -> Any:
        # ``condition`` is an object on the way in and on the way out.
        if isinstance(data, dict) and "condition" in data:
            data = {**data, "condition_input": data["condition"]}
            data.pop("condition")
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict) and "condition_input" in exc.detail:
                exc.detail["condition"] = exc.detail.pop("condition_input")
            raise

    @extend_schema_field(ConditionSerializer(allow_null=True))
    def get_condition(self, schedule: PMSchedule) -> dict[str, Any] | None:
        if not schedule.condition_metric:
            return None
        return {
            "metric": schedule.condition_metric,
            "operator": schedule.condition_operator,
            "threshold": schedule.condition_threshold,
            "duration_minutes": schedule.condition_duration_minutes,
        }


def _fields(data: dict[str, Any]) -> tuple[dict[str, Any], list[Any] | None]:
    data = dict(data)
    assets = data.pop("assets", None)
    condition = data.pop("condition", "missing")
    if condition != "missing":
        condition = condition or {}
        data.update(
            condition_metric=condition.get("metric", ""),
            condition_operator=condition.get("operator", ""),
            condition_threshold=condition.get("threshold"),
            condition_duration_minutes=condition.get("duration_minutes", 0),
        )
    if "required_parts" in data:
        data["required_parts"] = [
            {"part": line["part"].pk, "quantity": str(line["quantity"])}
            for line in data["required_parts"]
        ]
    if data.get("cron") is None:
        data.pop("cron", None)
    return data, assets


class ForecastSerializer(StrictSerializer):
    asset_id = serializers.CharField()
    nominal = serializers.DateTimeField()
    due = serializers.DateTimeField()
    estimated = serializers.BooleanField()


class GenerateResultSerializer(StrictSerializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    work_orders = serializers.ListField(child=serializers.IntegerField())


class ScheduleViewSet(viewsets.ModelViewSet):
    """PM schedules: time, usage, condition, event or manual triggers on assets or an asset type."""

    queryset = PMSchedule.objects.select_related("calendar", "template").prefetch_related("assets")
    serializer_class = ScheduleSerializer
    lookup_value_regex = ID_LOOKUP
    search_fields = ["name", "description"]
    ordering_fields = ["name", "next_due_at", "last_generated_at", "created_at"]
    filterset_fields = ["trigger_type", "active", "maintenance_type", "schedule_mode", "asset_type"]
    action_permissions = {
        "generate": ["maintenance.generate_pmschedule"],
        "forecast": ["maintenance.view_pmschedule"],
    }

    def perform_create(self, serializer: ScheduleSerializer) -> None:
        fields, assets = _fields(serializer.validated_data)
        serializer.instance = services.schedule_create(
            by=self.request.user, assets=assets or [], **fields
        )

    def perform_update(self, serializer: ScheduleSerializer) -> None:
        fields, assets = _fields(serializer.validated_data)
        serializer.instance = services.schedule_update(
            by=self.request.user, schedule=serializer.instance, assets=assets, **fields
        )

    def perform_destroy(self, instance: PMSchedule) -> None:
        services.schedule_delete(by=self.request.user, schedule=instance)

    @extend_schema(
        request=None, responses={201: GenerateResultSerializer, 200: GenerateResultSerializer}
    )
    @action(detail=True, methods=["post"])
    def generate(self, request: Request, pk: str) -> Response:
        """Create the work orders now due (time-based: within the lead time; others: one now).
        Calling it again, or while the beat job runs, never duplicates one."""
        schedule = self.get_object()
        report = services.pm_generate(by=request.user, schedule=schedule)
        body = {
            "created": len(report.created),
            "skipped": report.skipped,
            "work_orders": report.created,
        }
        return Response(
            body, status=status.HTTP_201_CREATED if report.created else status.HTTP_200_OK
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "until", OpenApiTypes.DATETIME, description="Horizon (default: 90 days from now)"
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 2000},
                description="At most this many (default 500)",
            ),
        ],
        responses=ForecastSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def forecast(self, request: Request, pk: str) -> Response:
        """Upcoming occurrences up to ``until`` without creating them, soonest first."""
        query = ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        until = query.validated_data.get("until") or timezone.now() + timedelta(days=90)
        if until > timezone.now() + timedelta(days=3660):
            raise InvalidInput({"until": ["Forecast at most ten years ahead."]})
        items = pm_selectors.schedule_forecast(
            self.get_object(), until=until, limit=query.validated_data["limit"]
        )
        return Response(ForecastSerializer(items, many=True).data)


class ForecastQuerySerializer(QueryParametersSerializer):
    until = serializers.DateTimeField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=2000, required=False, default=500)


class StatisticsQuerySerializer(QueryParametersSerializer):
    start_date = serializers.DateTimeField(required=False)
    end_date = serializers.DateTimeField(required=False)


class PMStatisticsSerializer(StrictSerializer):
    start_date = serializers.DateTimeField()
    end_date = serializers.DateTimeField()
    schedules = serializers.DictField()
    due = serializers.IntegerField()
    overdue = serializers.IntegerField()
    generated = serializers.IntegerField()
    completed = serializers.IntegerField()
    completed_on_time = serializers.IntegerField()
    pm_compliance_percentage = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True
    )
    planned_maintenance_percentage = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True
    )


class PMStatisticsView(APIView):
    """PM programme health over a period (default: the last 30 days).

    ``pm_compliance_percentage``: of the time-based PM work orders due in the
    period (and already due), the share completed within 10% of their interval
    after the due date. ``planned_maintenance_percentage``: planned work's share
    of the hours completed in the period (of the work orders, when no hours).
    """

    queryset = PMSchedule.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("start_date", OpenApiTypes.DATETIME),
            OpenApiParameter("end_date", OpenApiTypes.DATETIME),
        ],
        responses=PMStatisticsSerializer,
    )
    def get(self, request: Request) -> Response:
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        end = query.validated_data.get("end_date") or timezone.now()
        start = query.validated_data.get("start_date") or end - timedelta(days=30)
        if start >= end:
            raise InvalidInput({"start_date": ["start_date must be before end_date."]})
        return Response(
            PMStatisticsSerializer(pm_selectors.pm_statistics(start=start, end=end)).data
        )
