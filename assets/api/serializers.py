from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assets.choices import PERFORMANCE_METRICS, AssetStatus, AssetType, Condition
from assets.events import alert_payload, failure_payload
from assets.links import request_url_for
from assets.models import (
    Alert,
    Asset,
    AssetLocationChange,
    ConditionAssessment,
    Failure,
    Location,
    Meter,
    MeterReading,
    PerformanceRecord,
    Threshold,
)
from assets.services.registry import ASSET_FIELDS
from core.api.bodies import StrictModelSerializer, StrictSerializer
from core.api.query import QueryParametersSerializer
from core.api.serializers import PublicShapeMixin


class AssetRefField(serializers.SlugRelatedField):
    """An asset referenced by its ``asset_id`` code, as everywhere in the API."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Asset.objects.all())
        super().__init__(slug_field="asset_id", **kwargs)


class LocationSerializer(StrictModelSerializer):
    class Meta:
        model = Location
        fields = [
            "id",
            "name",
            "kind",
            "parent",
            "path",
            "latitude",
            "longitude",
            "zone",
            "department",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["path", "created_at", "updated_at"]
        # Uniqueness within a parent is judged by the service.
        validators: list[Any] = []


class AssetSerializer(StrictModelSerializer):
    parent = AssetRefField(required=False, allow_null=True)
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True
    )
    location_path = serializers.CharField(source="location.path", read_only=True, default=None)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=100
    )
    request_url = serializers.SerializerMethodField()

    class Meta:
        model = Asset
        fields = [
            "id",
            *ASSET_FIELDS,
            "location_path",
            "request_url",
            "external_ref",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "external_ref", "created_at", "updated_at"]
        # asset_id uniqueness (case-insensitive) is the service's to judge.
        extra_kwargs = {"asset_id": {"validators": []}}

    @extend_schema_field(serializers.URLField())
    def get_request_url(self, asset: Asset) -> str:
        return request_url_for(asset, self.context.get("request"))

    def validate_specifications(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("Specifications are an object of name -> value.")
        return value


class AssetTreeNodeSerializer(StrictSerializer):
    asset_id = serializers.CharField()
    name = serializers.CharField()
    asset_type = serializers.ChoiceField(choices=AssetType.choices)
    status = serializers.CharField()
    parent = serializers.CharField(allow_null=True)
    depth = serializers.IntegerField()


class AssetMoveSerializer(StrictSerializer):
    """Where the asset goes: a location id, or the place by name (site, building, floor, room)."""

    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), required=False)
    location_name = serializers.CharField(max_length=200, required=False, help_text="Site")
    building = serializers.CharField(max_length=200, required=False)
    floor = serializers.CharField(max_length=200, required=False)
    room = serializers.CharField(max_length=200, required=False)
    coordinates = serializers.ListField(
        child=serializers.DecimalField(max_digits=9, decimal_places=6),
        min_length=2,
        max_length=2,
        required=False,
        help_text="[latitude, longitude]",
    )
    department = serializers.CharField(max_length=100, required=False, default="")
    zone = serializers.CharField(max_length=100, required=False, default="")
    notes = serializers.CharField(required=False, default="")
    moved_at = serializers.DateTimeField(required=False)

    def validate_coordinates(self, value: list[Any]) -> list[Any]:
        latitude, longitude = value
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise serializers.ValidationError(
                "Latitude must lie in [-90, 90] and longitude in [-180, 180]."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        named = any(attrs.get(k) for k in ("location_name", "building", "floor", "room"))
        if not attrs.get("location") and not named:
            raise serializers.ValidationError(
                {"location": ["Give a location id, or location_name / building / floor / room."]}
            )
        return attrs


class AssetLocationChangeSerializer(StrictModelSerializer):
    asset_id = serializers.CharField(source="asset.asset_id", read_only=True)
    location_path = serializers.CharField(source="location.path", read_only=True)
    previous_location_path = serializers.CharField(
        source="previous_location.path", read_only=True, default=None
    )
    coordinates = serializers.SerializerMethodField()
    moved_by = serializers.CharField(source="moved_by.username", read_only=True, default=None)

    class Meta:
        model = AssetLocationChange
        fields = [
            "id",
            "asset_id",
            "location",
            "location_path",
            "previous_location",
            "previous_location_path",
            "coordinates",
            "zone",
            "department",
            "notes",
            "moved_at",
            "moved_by",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.FloatField(), allow_null=True))
    def get_coordinates(self, change: AssetLocationChange) -> list[float] | None:
        if change.latitude is None or change.longitude is None:
            return None
        return [float(change.latitude), float(change.longitude)]


class PerformanceRecordSerializer(StrictModelSerializer):
    asset_id = serializers.CharField(source="asset.asset_id", read_only=True)
    recorded_at = serializers.DateTimeField(required=False)
    alerts = serializers.SerializerMethodField()

    class Meta:
        model = PerformanceRecord
        fields = [
            "id",
            "asset_id",
            "recorded_at",
            *PERFORMANCE_METRICS,
            "notes",
            "alerts",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_alerts(self, record: PerformanceRecord) -> list[int]:
        return [alert.pk for alert in self.context.get("alerts", [])]


class ConditionAssessmentSerializer(StrictModelSerializer):
    asset_id = serializers.CharField(source="asset.asset_id", read_only=True)
    condition = serializers.ChoiceField(choices=Condition.choices)
    assessed_at = serializers.DateTimeField(required=False)
    assessed_by = serializers.CharField(source="assessed_by.username", read_only=True, default=None)

    class Meta:
        model = ConditionAssessment
        fields = [
            "id",
            "asset_id",
            "condition",
            "score",
            "notes",
            "assessed_at",
            "assessed_by",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class FailureSerializer(PublicShapeMixin, StrictModelSerializer):
    """A failure of the asset: when it stopped doing its job, how and why."""

    payload_builder = staticmethod(failure_payload)
    asset_id = serializers.CharField(source="asset.asset_id", read_only=True)
    work_order = serializers.IntegerField(
        source="work_order_id",
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        help_text="The work order that dealt with it.",
    )
    recorded_by = serializers.IntegerField(source="recorded_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Failure
        fields = [
            "id",
            "asset_id",
            "occurred_at",
            "failure_mode",
            "cause",
            "remedy",
            "downtime_hours",
            "work_order",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "occurred_at": {"required": True},
            "downtime_hours": {"min_value": 0},
        }


class MeterSerializer(StrictModelSerializer):
    asset_id = serializers.CharField(source="asset.asset_id", read_only=True)

    class Meta:
        model = Meter
        fields = [
            "id",
            "asset_id",
            "name",
            "kind",
            "unit",
            "cumulative",
            "current_value",
            "last_reading_at",
            "created_at",
        ]
        read_only_fields = ["id", "current_value", "last_reading_at", "created_at"]
        validators: list[Any] = []


class MeterReadingInputSerializer(StrictSerializer):
    """A reading to record. ``meter`` is the meter's id or its name on this asset;
    naming a meter the asset does not have yet creates it (cumulative, in ``unit``)."""

    meter = serializers.CharField(max_length=100)
    value = serializers.DecimalField(max_digits=18, decimal_places=4)

    def validate_meter(self, meter: str) -> str:
        # Digits other than 0-9 (superscripts, other scripts) are neither an id nor a name
        # the service can tell from one.
        if meter.isdigit() and not meter.isascii():
            raise serializers.ValidationError("Name the meter, or give its id in digits 0-9.")
        return meter

    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    is_reset = serializers.BooleanField(required=False, default=False)
    reading_at = serializers.DateTimeField(required=False)
    notes = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class MeterReadingSerializer(StrictModelSerializer):
    meter = serializers.IntegerField(source="meter.pk", read_only=True)
    meter_name = serializers.CharField(source="meter.name", read_only=True)
    unit = serializers.CharField(source="meter.unit", read_only=True)
    asset_id = serializers.CharField(source="meter.asset.asset_id", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default=None)

    class Meta:
        model = MeterReading
        fields = [
            "id",
            "asset_id",
            "meter",
            "meter_name",
            "value",
            "unit",
            "delta",
            "is_reset",
            "reading_at",
            "notes",
            "source",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class AssetStatusSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=AssetStatus.choices)
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class AlertSerializer(PublicShapeMixin, StrictModelSerializer):
    payload_builder = staticmethod(alert_payload)
    asset_id = serializers.CharField(source="asset.asset_id", read_only=True)
    asset_name = serializers.CharField(source="asset.name", read_only=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", read_only=True, default=None
    )
    resolved_by = serializers.CharField(source="resolved_by.username", read_only=True, default=None)

    class Meta:
        model = Alert
        fields = [
            "id",
            "asset_id",
            "asset_name",
            "metric",
            "severity",
            "status",
            "source",
            "message",
            "value",
            "threshold",
            "threshold_value",
            "operator",
            "reading_id",
            "occurrences",
            "raised_at",
            "last_seen_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "note",
        ]
        read_only_fields = fields


class AlertActionSerializer(StrictSerializer):
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)


class ThresholdSerializer(StrictModelSerializer):
    # Assets go by asset_id everywhere in the API; `asset` is the name this route used first.
    asset_id = AssetRefField(source="asset", required=False, allow_null=True)
    asset = AssetRefField(required=False, allow_null=True)
    metric = serializers.ChoiceField(
        choices=[(m, m.replace("_", " ")) for m in PERFORMANCE_METRICS]
    )

    class Meta:
        model = Threshold
        fields = [
            "id",
            "asset_id",
            "asset",
            "asset_type",
            "metric",
            "operator",
            "value",
            "severity",
            "active",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        sent = self.initial_data if isinstance(self.initial_data, dict) else {}
        if "asset_id" in sent and "asset" in sent and sent["asset_id"] != sent["asset"]:
            raise serializers.ValidationError({"asset": ["Send the asset once, as asset_id."]})
        return attrs


class StatisticsQuerySerializer(QueryParametersSerializer):
    asset_id = serializers.CharField(required=False)
    start_date = serializers.DateTimeField(required=False)
    end_date = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and start >= end:
            raise serializers.ValidationError({"end_date": ["end_date must be after start_date."]})
        return attrs


class StatisticsSerializer(StrictSerializer):
    asset_id = serializers.CharField(allow_null=True)
    start_date = serializers.DateTimeField()
    end_date = serializers.DateTimeField()
    asset_count = serializers.IntegerField()
    performance_records = serializers.IntegerField()
    average_uptime_percentage = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True
    )
    average_efficiency_rating = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True
    )
    error_count = serializers.IntegerField()
    warning_count = serializers.IntegerField()
    alerts_by_severity = serializers.DictField(child=serializers.IntegerField())
    alerts_total = serializers.IntegerField()
    downtime_hours = serializers.DecimalField(max_digits=14, decimal_places=2)
    availability_percentage = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True
    )
