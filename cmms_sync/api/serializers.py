from rest_framework import serializers

from cmms_sync.choices import Direction, Entity, RunEntity, Transform
from cmms_sync.events import RUN_FIELDS, run_payload
from cmms_sync.models import Connection, FieldMapping, SyncRun
from core.api.bodies import StrictModelSerializer, StrictSerializer
from core.api.serializers import PublicShapeMixin


class ConnectionSerializer(StrictModelSerializer):
    """A connection to another CMMS. ``credentials`` are write-only and kept encrypted."""

    credentials = serializers.DictField(
        child=serializers.CharField(max_length=2000, allow_blank=True),
        write_only=True,
        required=False,
        help_text=(
            "By type: upkeep {email, password}; fiix {app_key, access_key, secret_key}; "
            "maximo {api_key}; maintainx {api_key}; generic_rest {api_key}. Never shown again."
        ),
    )
    options = serializers.DictField(
        required=False,
        help_text="Adapter settings: `page_size`, maximo `site_id`, generic_rest paging, ...",
    )

    class Meta:
        model = Connection
        fields = [
            "id",
            "cmms_type",
            "connection_name",
            "api_url",
            "credentials",
            "options",
            "direction",
            "schedule_minutes",
            "active",
            "last_synced_at",
            "last_pushed_at",
            "health",
            "health_detail",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "last_synced_at",
            "last_pushed_at",
            "health",
            "health_detail",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"api_url": {"validators": []}, "schedule_minutes": {"max_value": 10080}}

    def validate(self, attrs: dict) -> dict:
        if self.instance is None and "credentials" not in attrs:
            raise serializers.ValidationError({"credentials": ["This field is required."]})
        return attrs


class ConnectionTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class FieldMappingSerializer(StrictModelSerializer):
    """Where one of our fields comes from in the vendor's records (and goes on push)."""

    map = serializers.DictField(
        required=False, help_text="The table of a `map` transform: vendor value -> ours."
    )

    class Meta:
        model = FieldMapping
        fields = [
            "id",
            "connection",
            "entity",
            "external_field",
            "internal_field",
            "transform",
            "map",
            "required",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list = []


class SyncRequestSerializer(StrictSerializer):
    cmms_connection_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    force_sync = serializers.BooleanField(required=False, default=False)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)


class SyncAcceptedSerializer(serializers.Serializer):
    sync_run_id = serializers.IntegerField()


class SyncRunSerializer(PublicShapeMixin, StrictModelSerializer):
    """A sync run: status, counts while it runs, and each failed record."""

    payload_builder = staticmethod(run_payload)
    counts = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    errors = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = SyncRun
        fields = list(RUN_FIELDS)
        read_only_fields = fields


__all__ = ["Entity", "RunEntity", "Transform"]
