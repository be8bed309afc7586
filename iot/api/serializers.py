from typing import Any

from rest_framework import serializers

from assets.models import Asset
from core.api.bodies import StrictModelSerializer, StrictSerializer
from core.api.query import QueryParametersSerializer
from core.api.serializers import PublicShapeMixin
from iot.choices import BUCKETS, DiagnosticResult, RiskLevel, TestType
from iot.events import (
    anomaly_payload,
    device_token_payload,
    diagnostic_payload,
    prediction_model_payload,
)
from iot.models import Anomaly, DeviceToken, DiagnosticRun, PredictionModel

ASSET_CODE = serializers.SlugRelatedField(
    slug_field="asset_id", queryset=Asset.objects.all(), help_text="The device's asset_id."
)

# The body of POST /api/v1/iot/metrics/, for the schema (the view reads it itself, item by
# item, so that each bad reading is refused alone).
READING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "device_id": {"type": "string", "description": "The device's asset_id."},
        "metric": {"type": "string", "maxLength": 64, "minLength": 1},
        "value": {"type": "number", "description": "Finite, below 1e12 in magnitude."},
        "unit": {"type": "string", "maxLength": 32},
        "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "At most 5 minutes in the future; UTC if no zone is given.",
        },
    },
    "required": ["device_id", "metric", "value", "timestamp"],
    "additionalProperties": False,
}
READINGS_BODY: dict[str, Any] = {
    "oneOf": [READING_SCHEMA, {"type": "array", "items": READING_SCHEMA, "maxItems": 10000}]
}


class RejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    error = serializers.CharField()


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="How many readings were stored.")
    rejected = RejectionSerializer(many=True)


class DeviceTokenSerializer(PublicShapeMixin, StrictModelSerializer):
    payload_builder = device_token_payload
    device_id = serializers.SlugRelatedField(
        source="asset",
        slug_field="asset_id",
        queryset=Asset.objects.all(),
        help_text="The device (asset_id) the token may send readings for.",
    )

    class Meta:
        model = DeviceToken
        fields = ["id", "device_id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]


class NewDeviceTokenSerializer(DeviceTokenSerializer):
    """The answer to creating a token: the only time the token itself is shown."""

    token = serializers.CharField(read_only=True, help_text="Shown once, never again.")

    class Meta(DeviceTokenSerializer.Meta):
        fields = [*DeviceTokenSerializer.Meta.fields, "token"]
        read_only_fields = [*DeviceTokenSerializer.Meta.read_only_fields, "token"]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {**device_token_payload(instance), "token": getattr(instance, "secret", None)}


class AnomalySerializer(PublicShapeMixin, StrictModelSerializer):
    payload_builder = anomaly_payload
    device_id = serializers.CharField(source="asset.asset_id", read_only=True)

    class Meta:
        model = Anomaly
        fields = [
            "id",
            "device_id",
            "metric",
            "value",
            "expected",
            "score",
            "detected_at",
            "reading_timestamp",
            "status",
            "closed_at",
        ]
        read_only_fields = fields


_NUMBER = {"type": "number", "format": "double"}
READING_ROW = {
    "type": "object",
    "properties": {
        "metric": {"type": "string"},
        "value": _NUMBER,
        "unit": {"type": "string"},
        "timestamp": {"type": "string", "format": "date-time"},
    },
    "required": ["metric", "value", "unit", "timestamp"],
}
BUCKET_ROW = {
    "type": "object",
    "properties": {
        "metric": {"type": "string"},
        "bucket_start": {"type": "string", "format": "date-time"},
        "min": _NUMBER,
        "max": _NUMBER,
        "avg": _NUMBER,
        "count": {"type": "integer"},
    },
    "required": ["metric", "bucket_start", "min", "max", "avg", "count"],
}
# Raw readings come a page at a time; with `bucket`, the buckets come as a plain list.
DEVICE_METRICS_RESPONSE: dict[str, Any] = {
    "oneOf": [
        {
            "type": "object",
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True},
                "previous": {"type": "string", "format": "uri", "nullable": True},
                "results": {"type": "array", "items": READING_ROW},
            },
            "required": ["next", "previous", "results"],
        },
        {"type": "array", "items": BUCKET_ROW},
    ]
}


class MetricsQuerySerializer(QueryParametersSerializer):
    metric = serializers.CharField(required=False, max_length=64)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    bucket = serializers.ChoiceField(choices=list(BUCKETS), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError({"start": ["start must be before end."]})
        return attrs


class AnomalyQuerySerializer(QueryParametersSerializer):
    since = serializers.DateTimeField(required=False)


class DiagnosticParametersSerializer(StrictSerializer):
    hours = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=24 * 366,
        help_text="Window of thresholds and anomalies checks (default 24).",
    )
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=366,
        help_text="Window of the trend check (default 7).",
    )


class DiagnosticRunSerializer(PublicShapeMixin, StrictModelSerializer):
    payload_builder = diagnostic_payload
    asset_id = serializers.SlugRelatedField(
        source="asset", slug_field="asset_id", queryset=Asset.objects.all()
    )
    parameters = DiagnosticParametersSerializer(required=False)
    result = serializers.ChoiceField(choices=DiagnosticResult.choices, read_only=True)
    findings = serializers.ListField(child=serializers.DictField(), read_only=True)
    test_type = serializers.ChoiceField(choices=TestType.choices)

    class Meta:
        model = DiagnosticRun
        fields = [
            "id",
            "asset_id",
            "test_type",
            "result",
            "score",
            "findings",
            "parameters",
            "ran_at",
        ]
        read_only_fields = ["id", "result", "score", "findings", "ran_at"]


class AnalyzeSerializer(StrictSerializer):
    asset_id = ASSET_CODE
    days = serializers.IntegerField(min_value=1, max_value=366, required=False, default=7)


class MetricSummarySerializer(serializers.Serializer):
    metric = serializers.CharField()
    count = serializers.IntegerField()
    min = serializers.FloatField()
    max = serializers.FloatField()
    mean = serializers.FloatField()
    slope_per_day = serializers.FloatField(allow_null=True)
    anomalies = serializers.IntegerField()


class AnalysisSerializer(serializers.Serializer):
    asset_id = serializers.CharField()
    days = serializers.IntegerField()
    metrics = MetricSummarySerializer(many=True)


class HealthSerializer(serializers.Serializer):
    device_id = serializers.CharField()
    health_score = serializers.IntegerField(min_value=0, max_value=100)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    factors = serializers.DictField()
    predicted_failure_within_days = serializers.FloatField(allow_null=True)
    model = serializers.IntegerField(allow_null=True)
    as_of = serializers.DateTimeField(allow_null=True)


class ValidationSerializer(serializers.Serializer):
    rmse_days = serializers.FloatField(allow_null=True, help_text="Root mean square error, days.")
    mae_days = serializers.FloatField(allow_null=True, help_text="Mean absolute error, days.")
    folds = serializers.IntegerField(help_text="Folds of the grouped cross-validation (by asset).")
    points = serializers.IntegerField(help_text="Held-out cut points the errors are over.")
    horizon_days = serializers.FloatField(
        allow_null=True, help_text="Errors count cut points up to this true remaining life."
    )


class PredictionModelSerializer(PublicShapeMixin, StrictModelSerializer):
    """A remaining-life model version and its validation figures."""

    payload_builder = prediction_model_payload
    validation = ValidationSerializer(read_only=True)
    metrics = serializers.ListField(child=serializers.CharField(), read_only=True)
    parameters = serializers.DictField(read_only=True)

    class Meta:
        model = PredictionModel
        fields = [
            "id",
            "version",
            "status",
            "error",
            "trained_at",
            "target",
            "assets",
            "failures",
            "samples",
            "features",
            "metrics",
            "validation",
            "parameters",
            "train_seconds",
            "created_at",
        ]
        read_only_fields = fields


class TrainAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The model version being trained.")
    status = serializers.CharField()


class TrainSerializer(StrictSerializer):
    """The body of a training request: nothing to choose (the tenant's data decides)."""
