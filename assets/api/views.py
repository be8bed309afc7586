import io
from datetime import timedelta

import segno
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from assets import selectors
from assets.api.filters import AlertFilter, AssetFilter, LocationFilter, ThresholdFilter
from assets.api.serializers import (
    AlertActionSerializer,
    AlertSerializer,
    AssetLocationChangeSerializer,
    AssetMoveSerializer,
    AssetSerializer,
    AssetStatusSerializer,
    AssetTreeNodeSerializer,
    ConditionAssessmentSerializer,
    FailureSerializer,
    LocationSerializer,
    MeterReadingInputSerializer,
    MeterReadingSerializer,
    MeterSerializer,
    PerformanceRecordSerializer,
    StatisticsQuerySerializer,
    StatisticsSerializer,
    ThresholdSerializer,
)
from assets.choices import CRITICALITY_RANK
from assets.events import FailureNamesWorkOrder
from assets.links import request_url_for
from assets.models import Alert, Asset, Location, Threshold
from assets.services import meters as metering
from assets.services import monitoring, registry, reliability
from core.api.lookups import ID_LOOKUP
from core.api.pagination import HistoryCursorPagination, StandardPagination
from core.api.query import QueryParametersSerializer
from core.exceptions import InvalidInput
from core.reactions import dispatch


class TimeWindowSerializer(QueryParametersSerializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)


TIME_WINDOW = [
    OpenApiParameter("start", OpenApiTypes.DATETIME, description="From (inclusive)"),
    OpenApiParameter("end", OpenApiTypes.DATETIME, description="Until (exclusive)"),
]


class AssetViewSet(viewsets.ModelViewSet):
    """The asset register. Assets are addressed by their ``asset_id`` code."""

    serializer_class = AssetSerializer
    filterset_class = AssetFilter
    lookup_field = "asset_id"
    lookup_value_regex = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
    search_fields = ["asset_id", "name", "serial_number", "manufacturer", "model", "description"]
    ordering_fields = [
        "asset_id",
        "name",
        "asset_type",
        "status",
        "condition",
        "criticality_rank",
        "install_date",
        "created_at",
        "updated_at",
    ]
    ordering = ["asset_id"]
    action_permissions = {
        "statistics": ["assets.view_asset"],
        "children": ["assets.view_asset"],
        "tree": ["assets.view_asset"],
        "qr": ["assets.view_asset"],
        "qr_rotate": ["assets.change_asset"],
        "change_status": ["assets.change_asset"],
        "move": ["assets.add_assetlocationchange"],
        "locations": ["assets.view_assetlocationchange"],
        "performance": {
            "GET": ["assets.view_performancerecord"],
            "POST": ["assets.add_performancerecord"],
        },
        "conditions": {
            "GET": ["assets.view_conditionassessment"],
            "POST": ["assets.add_conditionassessment"],
        },
        "failures": {"GET": ["assets.view_failure"], "POST": ["assets.add_failure"]},
        "meters": {"GET": ["assets.view_meter"], "POST": ["assets.add_meter"]},
        "meter_readings": {
            "GET": ["assets.view_meterreading"],
            "POST": ["assets.add_meterreading"],
        },
    }

    def get_queryset(self) -> QuerySet[Asset]:
        return selectors.asset_list().annotate(
            criticality_rank=Case(
                *[
                    When(criticality=name, then=Value(rank))
                    for name, rank in CRITICALITY_RANK.items()
                ],
                output_field=IntegerField(),
            )
        )

    def perform_create(self, serializer: AssetSerializer) -> None:
        serializer.instance = registry.asset_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: AssetSerializer) -> None:
        serializer.instance = registry.asset_update(
            by=self.request.user, asset=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Asset) -> None:
        registry.asset_delete(by=self.request.user, asset=instance)

    def _history(
        self,
        request: Request,
        queryset: QuerySet,
        ordering: tuple[str, ...],
        time_field: str,
        serializer_class: type[serializers.Serializer],
    ) -> Response:
        window = TimeWindowSerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        if "start" in window.validated_data:
            queryset = queryset.filter(**{f"{time_field}__gte": window.validated_data["start"]})
        if "end" in window.validated_data:
            queryset = queryset.filter(**{f"{time_field}__lt": window.validated_data["end"]})
        paginator = HistoryCursorPagination()
        paginator.ordering = ordering
        # No view: the asset list's ordering filter must not reorder a nested history.
        page = paginator.paginate_queryset(queryset, request, view=None)
        return paginator.get_paginated_response(
            serializer_class(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("asset_id", str, description="One asset (default: all)"),
            OpenApiParameter(
                "start_date", OpenApiTypes.DATETIME, description="Default: 30 days ago"
            ),
            OpenApiParameter("end_date", OpenApiTypes.DATETIME, description="Default: now"),
        ],
        responses=StatisticsSerializer,
    )
    @action(detail=False, methods=["get"])
    def statistics(self, request: Request) -> Response:
        """Uptime, efficiency, errors, alerts by severity, downtime and availability in a period."""
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        end = query.validated_data.get("end_date") or timezone.now()
        start = query.validated_data.get("start_date") or end - timedelta(days=30)
        if start >= end:
            raise InvalidInput({"start_date": ["start_date must be before end_date."]})
        asset = None
        if query.validated_data.get("asset_id"):
            asset = Asset.objects.filter(asset_id=query.validated_data["asset_id"]).first()
            if asset is None:
                raise NotFound("No asset with this asset_id.")
        data = selectors.asset_statistics(
            period=selectors.Period(start=start, end=end), asset=asset
        )
        return Response(StatisticsSerializer(data).data)

    @extend_schema(responses=AssetSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=StandardPagination)
    def children(self, request: Request, asset_id: str) -> Response:
        """The assets directly under this one."""
        asset = self.get_object()
        queryset = self.filter_queryset(self.get_queryset().filter(parent=asset))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=AssetTreeNodeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def tree(self, request: Request, asset_id: str) -> Response:
        """This asset and everything below it, depth-first, each with its depth."""
        nodes = [
            {
                "asset_id": node.asset_id,
                "name": node.name,
                "asset_type": node.asset_type,
                "status": node.status,
                "parent": node.parent.asset_id if node.parent else None,
                "depth": depth,
            }
            for node, depth in selectors.asset_subtree(self.get_object())
        ]
        return Response(AssetTreeNodeSerializer(nodes, many=True).data)

    @extend_schema(request=AssetMoveSerializer, responses={201: AssetLocationChangeSerializer})
    @action(detail=True, methods=["post"], url_path="location")
    def move(self, request: Request, asset_id: str) -> Response:
        """Move the asset; the move joins its location history."""
        asset = self.get_object()
        body = AssetMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        moved_at = data.pop("moved_at", None)
        change = registry.asset_move(by=request.user, asset=asset, at=moved_at, **data)
        return Response(AssetLocationChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=TIME_WINDOW, responses=AssetLocationChangeSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=HistoryCursorPagination)
    def locations(self, request: Request, asset_id: str) -> Response:
        """Where the asset has been, newest first."""
        asset = self.get_object()
        queryset = asset.location_changes.select_related(
            "asset", "location", "previous_location", "moved_by"
        )
        return self._history(
            request, queryset, ("-moved_at", "-id"), "moved_at", AssetLocationChangeSerializer
        )

    @extend_schema(
        methods=["GET"], parameters=TIME_WINDOW, responses=PerformanceRecordSerializer(many=True)
    )
    @extend_schema(
        methods=["POST"],
        request=PerformanceRecordSerializer,
        responses={201: PerformanceRecordSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=HistoryCursorPagination)
    def performance(self, request: Request, asset_id: str) -> Response:
        """Performance records (newest first); posting one checks it against the thresholds."""
        asset = self.get_object()
        if request.method == "GET":
            queryset = asset.performance_records.select_related("asset")
            return self._history(
                request,
                queryset,
                ("-recorded_at", "-id"),
                "recorded_at",
                PerformanceRecordSerializer,
            )
        body = PerformanceRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record, alerts = monitoring.performance_record(
            by=request.user, asset=asset, **body.validated_data
        )
        data = PerformanceRecordSerializer(record, context={"alerts": alerts}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"], parameters=TIME_WINDOW, responses=ConditionAssessmentSerializer(many=True)
    )
    @extend_schema(
        methods=["POST"],
        request=ConditionAssessmentSerializer,
        responses={201: ConditionAssessmentSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=HistoryCursorPagination)
    def conditions(self, request: Request, asset_id: str) -> Response:
        """Condition assessments (newest first); the newest sets the asset's condition."""
        asset = self.get_object()
        if request.method == "GET":
            queryset = asset.condition_assessments.select_related("asset", "assessed_by")
            return self._history(
                request,
                queryset,
                ("-assessed_at", "-id"),
                "assessed_at",
                ConditionAssessmentSerializer,
            )
        body = ConditionAssessmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assessment = monitoring.condition_assess(
            by=request.user, asset=asset, **body.validated_data
        )
        return Response(
            ConditionAssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(methods=["GET"], parameters=TIME_WINDOW, responses=FailureSerializer(many=True))
    @extend_schema(methods=["POST"], request=FailureSerializer, responses={201: FailureSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=HistoryCursorPagination)
    def failures(self, request: Request, asset_id: str) -> Response:
        """Failures of the asset, newest first: what MTBF, health and prediction learn from.

        ``occurred_at`` may be in the past, never in the future; ``work_order`` (optional)
        names the work order that dealt with it.
        """
        asset = self.get_object()
        if request.method == "GET":
            return self._history(
                request,
                selectors.failures(asset=asset),
                ("-occurred_at", "-id"),
                "occurred_at",
                FailureSerializer,
            )
        body = FailureSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        work_order_id = fields.pop("work_order_id", None)
        if work_order_id is not None:
            dispatch(FailureNamesWorkOrder(work_order_id=work_order_id, asset=asset))
        failure = reliability.failure_record(
            by=request.user, asset=asset, work_order_id=work_order_id, **fields
        )
        return Response(FailureSerializer(failure).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=MeterSerializer(many=True))
    @extend_schema(methods=["POST"], request=MeterSerializer, responses={201: MeterSerializer})
    @action(detail=True, methods=["get", "post"])
    def meters(self, request: Request, asset_id: str) -> Response:
        """The asset's meters and their current values."""
        asset = self.get_object()
        if request.method == "GET":
            meters = asset.meters.select_related("asset")
            return Response(MeterSerializer(meters, many=True).data)
        body = MeterSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        meter = metering.meter_create(by=request.user, asset=asset, **body.validated_data)
        return Response(MeterSerializer(meter).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        parameters=[*TIME_WINDOW, OpenApiParameter("meter", str, description="Meter id or name")],
        responses=MeterReadingSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        request=MeterReadingInputSerializer,
        responses={201: MeterReadingSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="meter-readings",
        pagination_class=HistoryCursorPagination,
    )
    def meter_readings(self, request: Request, asset_id: str) -> Response:
        """Meter readings (newest first). A cumulative meter refuses a value below its last
        reading unless ``is_reset`` is true."""
        asset = self.get_object()
        if request.method == "GET":
            queryset = selectors.meter_readings(
                asset=asset, meter=request.query_params.get("meter")
            )
            return self._history(
                request, queryset, ("-reading_at", "-id"), "reading_at", MeterReadingSerializer
            )
        body = MeterReadingInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        meter = metering.meter_for_reading(
            by=request.user, asset=asset, meter=data.pop("meter"), unit=data.pop("unit", "")
        )
        reading = metering.meter_reading_record(by=request.user, meter=meter, **data)
        return Response(MeterReadingSerializer(reading).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["svg", "png"], description="Default svg"),
            OpenApiParameter(
                "scale",
                {"type": "integer", "minimum": 1, "maximum": 40},
                description="Pixels per module (default 8)",
            ),
        ],
        responses={
            (200, "image/svg+xml"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"])
    def qr(self, request: Request, asset_id: str) -> HttpResponse:
        """A printable QR code that opens the asset's public request form."""
        asset = self.get_object()
        kind = request.query_params.get("format", "svg").lower()
        if kind not in {"svg", "png"}:
            raise InvalidInput({"format": ["Use svg or png."]})
        try:
            scale = int(request.query_params.get("scale", "8"))
        except ValueError:
            scale = 0
        if not 1 <= scale <= 40:
            raise InvalidInput({"scale": ["Use a whole number from 1 to 40."]})
        code = segno.make(request_url_for(asset, request), error="m")
        buffer = io.BytesIO()
        code.save(
            buffer,
            kind=kind,
            scale=scale,
            border=4,
            **({"title": f"{asset.asset_id} {asset.name}"} if kind == "svg" else {}),
        )
        content_type = "image/svg+xml" if kind == "svg" else "image/png"
        response = HttpResponse(buffer.getvalue(), content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{asset.asset_id}-qr.{kind}"'
        return response

    @extend_schema(request=None, responses=AssetSerializer)
    @action(detail=True, methods=["post"], url_path="qr/rotate")
    def qr_rotate(self, request: Request, asset_id: str) -> Response:
        """Issue a new request token: printed labels with the old one stop working."""
        asset = registry.asset_rotate_request_token(by=request.user, asset=self.get_object())
        return Response(self.get_serializer(asset).data)

    @extend_schema(request=AssetStatusSerializer, responses=AssetSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, asset_id: str) -> Response:
        """Put the asset into a status, with a reason (recorded with any downtime)."""
        body = AssetStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        asset = registry.asset_change_status(
            by=request.user, asset=self.get_object(), **body.validated_data
        )
        return Response(self.get_serializer(asset).data)


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts raised by readings past thresholds (and by poor condition), newest first."""

    queryset = Alert.objects.select_related("asset", "acknowledged_by", "resolved_by")
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["message", "asset__asset_id", "asset__name"]
    ordering_fields = ["raised_at", "last_seen_at", "severity", "status"]
    action_permissions = {
        "acknowledge": ["assets.acknowledge_alert"],
        "resolve": ["assets.resolve_alert"],
    }

    @extend_schema(request=AlertActionSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        """Mark an open alert as seen and being handled (409 if it is not open)."""
        body = AlertActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = monitoring.alert_acknowledge(
            by=request.user, alert=self.get_object(), **body.validated_data
        )
        return Response(self.get_serializer(alert).data)

    @extend_schema(request=AlertActionSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        """Close an alert (409 if already resolved); the next breach raises a new one."""
        body = AlertActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = monitoring.alert_resolve(
            by=request.user, alert=self.get_object(), **body.validated_data
        )
        return Response(self.get_serializer(alert).data)


class LocationViewSet(viewsets.ModelViewSet):
    """Places: site > building > floor > room (or any area)."""

    queryset = Location.objects.select_related("parent")
    serializer_class = LocationSerializer
    filterset_class = LocationFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["name", "path", "zone", "department"]
    ordering_fields = ["path", "name", "created_at"]

    def perform_create(self, serializer: LocationSerializer) -> None:
        serializer.instance = registry.location_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: LocationSerializer) -> None:
        serializer.instance = registry.location_update(
            by=self.request.user, location=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Location) -> None:
        registry.location_delete(by=self.request.user, location=instance)


class ThresholdViewSet(viewsets.ModelViewSet):
    """Limits that raise alerts: for one asset, an asset type, or every asset."""

    queryset = Threshold.objects.select_related("asset")
    serializer_class = ThresholdSerializer
    filterset_class = ThresholdFilter
    lookup_value_regex = ID_LOOKUP
    ordering_fields = ["metric", "severity", "created_at"]

    def perform_create(self, serializer: ThresholdSerializer) -> None:
        serializer.instance = monitoring.threshold_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: ThresholdSerializer) -> None:
        serializer.instance = monitoring.threshold_update(
            by=self.request.user, threshold=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Threshold) -> None:
        monitoring.threshold_delete(by=self.request.user, threshold=instance)
