import base64
import json
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ParseError, PermissionDenied, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from assets.models import Asset
from core.api.bodies import UNKNOWN_FIELD
from core.api.lookups import ID_LOOKUP
from core.api.pagination import HistoryCursorPagination
from core.auth.tokens import TenantJWTAuthentication
from iot import selectors
from iot.api.auth import CanPostMetrics, DeviceTokenAuthentication
from iot.api.filters import AnomalyFilter, DeviceTokenFilter
from iot.api.serializers import (
    DEVICE_METRICS_RESPONSE,
    READINGS_BODY,
    AnalysisSerializer,
    AnalyzeSerializer,
    AnomalySerializer,
    DeviceTokenSerializer,
    DiagnosticRunSerializer,
    HealthSerializer,
    IngestResultSerializer,
    MetricsQuerySerializer,
    NewDeviceTokenSerializer,
    PredictionModelSerializer,
    TrainAcceptedSerializer,
    TrainSerializer,
)
from iot.choices import BUCKETS
from iot.health import device_health
from iot.models import DeviceToken, DiagnosticRun, MetricStream, PredictionModel
from iot.services import diagnostics, prediction, tokens
from iot.services.ingestion import FIELDS, readings_ingest

DEVICE_LOOKUP = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
# A bucketed query answers at most this many buckets per metric (a year of hours).
MAX_BUCKETS = 10_000
DEFAULT_BUCKETS = 1_000


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class ReadingsParser(BaseParser):
    """JSON read with a size limit checked before parsing, and numbers left as they come
    (``NaN``, ``1e309``): a non-finite value is one reading's fault, refused by index.
    orjson reads the body (a batch of 10,000 in about a third of json's time)."""

    media_type = "application/json"

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        limit = settings.IOT_MAX_BODY_BYTES
        if stream is None:
            raise ParseError("Send one reading or a list of readings.")
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise BodyTooLarge()
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            # orjson refuses what a device may still send in a batch worth keeping (NaN,
            # 1e309, a lone surrogate): json reads it, and the reading is refused by index.
            pass
        try:
            return json.loads(raw)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deep") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


class MetricsIngestView(APIView):
    """Readings in: one reading or a list of up to 10,000.

    In a list, each bad reading is refused by its index (unknown device, unknown field, a
    value that is not a finite number, a timestamp more than 5 minutes ahead or older
    than the readings kept); the good ones are stored. A body that is a single reading
    with a field this route does not know is a 400 naming the field, as on every route.
    The same (device, metric, timestamp) sent again overwrites: the later request wins,
    and within one batch the later item. Readings are checked against the asset's alert
    thresholds (by metric name) and feed anomaly detection and condition-based PM.
    Technicians and above may post, or a device with its token (`Authorization: Bearer
    iotd_...`), for its own device only (403 otherwise). A batch over 10,000 readings is
    refused whole (413); so is a body over `IOT_MAX_BODY_BYTES` (4 MiB by default),
    before it is parsed.
    """

    authentication_classes = [DeviceTokenAuthentication, TenantJWTAuthentication]
    permission_classes = [CanPostMetrics]
    parser_classes = [ReadingsParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # The size is refused before authentication reads anything of the body.
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.IOT_MAX_BODY_BYTES:
            raise BodyTooLarge()
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"application/json": READINGS_BODY},
        responses={
            202: IngestResultSerializer,
            413: OpenApiResponse(description="More than 10,000 readings, or a body too large."),
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data
        items = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
        if items is None:
            raise ParseError("Send one reading or a list of readings.")
        if isinstance(data, dict):
            # A body that is one reading follows the API's rule for bodies: a field the route
            # does not know is a 400 naming it. In a list, each reading is judged alone.
            unknown = sorted(str(name)[:40] for name in data if name not in FIELDS)
            if unknown:
                raise ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        if len(items) > settings.IOT_MAX_BATCH:
            return Response(
                {"detail": f"At most {settings.IOT_MAX_BATCH} readings per request."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        only_device = None
        if isinstance(request.auth, DeviceToken):
            only_device = request.auth.asset.asset_id
            if any(
                isinstance(item, dict) and item.get("device_id", only_device) != only_device
                for item in items
            ):
                raise PermissionDenied("This token may only send readings of its own device.")
            items = [
                {"device_id": only_device, **item} if isinstance(item, dict) else item
                for item in items
            ]
        by = None if isinstance(request.auth, DeviceToken) else request.user
        result = readings_ingest(items=items, by=by, only_device=only_device)
        return Response(result.as_dict(), status=status.HTTP_202_ACCEPTED)


def _device(device_id: str) -> Asset:
    return get_object_or_404(Asset, asset_id=device_id)


def _encode_cursor(ts: datetime, metric: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([ts.isoformat(), metric]).encode()).decode()


def _decode_cursor(raw: str) -> tuple[datetime, str]:
    try:
        ts, metric = json.loads(base64.urlsafe_b64decode(raw.encode()))
        moment = datetime.fromisoformat(ts)
        if not isinstance(metric, str) or moment.tzinfo is None:
            raise ValueError(metric)
    except (ValueError, TypeError, UnicodeError) as exc:
        raise ValidationError({"cursor": ["Invalid cursor."]}) from exc
    return moment, metric


class DeviceMetricsView(APIView):
    """A device's readings: raw, oldest first, by cursor (`{next, previous, results}`,
    `?page_size=` up to 500); or with `bucket` (1m, 5m, 15m, 1h, 1d) the min, max, avg
    and count of each metric per bucket, buckets aligned to multiples of their width from
    2000-01-01T00:00:00Z (as Postgres `date_bin`). Without `start`, a bucketed query
    covers the 1,000 buckets before `end` (default: now); at most 10,000 buckets."""

    required_permissions = ["iot.view_metricstream"]
    queryset = MetricStream.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", OpenApiTypes.STR, description="One metric only."),
            OpenApiParameter("start", OpenApiTypes.DATETIME, description="From (included)."),
            OpenApiParameter("end", OpenApiTypes.DATETIME, description="Until (excluded)."),
            OpenApiParameter("bucket", OpenApiTypes.STR, enum=list(BUCKETS)),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next`."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 500 (raw)."),
        ],
        responses={200: DEVICE_METRICS_RESPONSE},
    )
    def get(self, request: Request, device_id: str) -> HttpResponse:
        device = _device(device_id)
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if "bucket" in params:
            width = BUCKETS[params["bucket"]]
            end = params.get("end") or timezone.now()
            start = params.get("start") or end - width * DEFAULT_BUCKETS
            if (end - start) / width > MAX_BUCKETS:
                raise ValidationError(
                    {"bucket": [f"At most {MAX_BUCKETS} buckets: narrow the window."]}
                )
            window = selectors.ReadingsWindow(device.pk, params.get("metric"), start, end)
            # The answer's JSON comes whole from PostgreSQL (see readings_buckets_json).
            return HttpResponse(
                selectors.readings_buckets_json(window, width=width),
                content_type="application/json",
            )
        paginator = HistoryCursorPagination()
        size = paginator.get_page_size(request) or paginator.page_size
        after = (
            _decode_cursor(request.query_params["cursor"])
            if "cursor" in request.query_params
            else None
        )
        window = selectors.ReadingsWindow(
            device.pk, params.get("metric"), params.get("start"), params.get("end")
        )
        rows = selectors.readings_page(window, after=after, size=size + 1)
        more = len(rows) > size
        rows = rows[:size]
        next_url = None
        if more:
            last = rows[-1]
            query_string = request.query_params.copy()
            query_string["cursor"] = _encode_cursor(last["timestamp"], last["metric"])
            next_url = request.build_absolute_uri(f"{request.path}?{query_string.urlencode()}")
        return Response({"next": next_url, "previous": None, "results": rows})


class DeviceHealthView(APIView):
    """A device's health: `health_score` 0-100 and `risk_level`, with `factors` saying
    what each part cost. health_score = max(0, 100 - failure_history - anomalies -
    diagnostics - condition - remaining_life), each a capped penalty: failure_history
    (<=40: 10 per failure in the last 365 days, +10 if the latest is under 30 days old),
    anomalies (<=25: 10 per open anomaly, +2 per anomaly of the last 30 days), diagnostics
    (<=20: latest run of the last 30 days, fail 20, warning 10), condition (<=25: fair 5,
    poor 15, critical 25, +5 per open high or critical alert), remaining_life (<=30 from a
    failure prediction; null while no model is ready). Risk: >=80 low, >=60 medium,
    >=40 high, else critical. `as_of` is the device's latest reading;
    `predicted_failure_within_days` and `model` are null until a model is ready."""

    required_permissions = ["iot.view_metricstream"]
    queryset = MetricStream.objects.none()

    @extend_schema(responses=HealthSerializer)
    def get(self, request: Request, device_id: str) -> Response:
        return Response(HealthSerializer(device_health(_device(device_id))).data)


class DeviceTokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Device tokens: `POST {device_id}` makes one and shows it once (`token`); lists
    never show it. `DELETE` revokes (the row stays, with `revoked_at`); a revoked token
    answers 401. Managers and planners make and revoke them."""

    queryset = selectors.device_token_list()
    serializer_class = DeviceTokenSerializer
    lookup_value_regex = ID_LOOKUP
    filterset_class = DeviceTokenFilter
    search_fields = ["asset__asset_id", "name", "prefix"]
    ordering_fields = ["created_at", "last_used_at"]
    ordering = ["-created_at", "-id"]

    @extend_schema(responses={201: NewDeviceTokenSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = DeviceTokenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token, raw = tokens.device_token_create(
            by=request.user,
            asset=body.validated_data["asset"],
            name=body.validated_data.get("name", ""),
        )
        token.secret = raw
        return Response(NewDeviceTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: DeviceToken) -> None:
        tokens.device_token_revoke(by=self.request.user, token=instance)


class AnomalyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Anomalies, newest reading first: one per episode of a device's metric leaving its
    usual range (online EWMA detection per device and metric). An episode closes after
    `IOT_EPISODE_CLEAR_READINGS` (default 10) normal readings in a row. Filters:
    `device_id`, `metric`, `since` (reading timestamp from), `status`."""

    queryset = selectors.anomaly_list()
    serializer_class = AnomalySerializer
    filterset_class = AnomalyFilter
    lookup_value_regex = ID_LOOKUP
    search_fields = ["metric", "asset__asset_id"]
    ordering_fields = ["reading_timestamp", "detected_at", "score"]
    ordering = ["-reading_timestamp", "-id"]


class DiagnosticRunView(APIView):
    """Run a diagnostic test on an asset's recent readings, store and return the result
    (and announce `diagnostics:completed`). `thresholds`: extremes of the last `hours`
    (default 24) against the alert thresholds; `anomalies`: anomalies of the last
    `hours`; `trend`: each metric's slope over the last `days` (default 7), drift over 10%
    of the mean warns and over 25% fails; `full`: all three. Score: 100 less 40 per
    failing and 15 per warning finding."""

    required_permissions = ["iot.add_diagnosticrun"]
    queryset = DiagnosticRun.objects.none()

    @extend_schema(request=DiagnosticRunSerializer, responses={201: DiagnosticRunSerializer})
    def post(self, request: Request) -> Response:
        body = DiagnosticRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = diagnostics.diagnostic_run(
            by=request.user,
            asset=body.validated_data["asset"],
            test_type=body.validated_data["test_type"],
            parameters=body.validated_data.get("parameters") or {},
        )
        return Response(DiagnosticRunSerializer(run).data, status=status.HTTP_201_CREATED)


class DiagnosticHistoryPagination(HistoryCursorPagination):
    ordering = ("-ran_at", "-id")


class DiagnosticHistoryView(generics.ListAPIView):
    """The diagnostics run on an asset, newest first (by cursor)."""

    required_permissions = ["iot.view_diagnosticrun"]
    serializer_class = DiagnosticRunSerializer
    pagination_class = DiagnosticHistoryPagination
    filter_backends: list = []

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return DiagnosticRun.objects.none()
        return selectors.diagnostic_history(_device(self.kwargs["asset_id"]))


class DiagnosticAnalyzeView(APIView):
    """Per metric of the asset over the last `days` (default 7) up to now, from its IoT
    readings and performance records: count, min, max, mean, least-squares slope per day
    and anomalies detected. Computed in SQL."""

    required_permissions = ["iot.view_diagnosticrun"]
    queryset = DiagnosticRun.objects.none()

    @extend_schema(request=AnalyzeSerializer, responses=AnalysisSerializer)
    def post(self, request: Request) -> Response:
        body = AnalyzeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        asset, days = body.validated_data["asset_id"], body.validated_data["days"]
        now = timezone.now()
        metrics = selectors.metric_summary(asset=asset, start=now - timedelta(days=days), end=now)
        return Response(
            AnalysisSerializer({"asset_id": asset.asset_id, "days": days, "metrics": metrics}).data
        )


class PredictionModelViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Remaining-life models of this tenant, newest first: one version per training,
    with `validation` from grouped cross-validation over assets (`rmse_days`, `mae_days`
    against the true days to failure of held-out assets, `folds`). The newest `ready`
    version answers the health endpoint; a `failed` one says why in `error` and
    replaces nothing. `POST train/` (managers, planners) queues a training: 202 `{id}`.
    Fewer than 3 assets with a recorded failure and readings before it ends `failed`."""

    queryset = PredictionModel.objects.defer("blob").order_by("-created_at", "-id")
    serializer_class = PredictionModelSerializer
    lookup_value_regex = ID_LOOKUP
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "trained_at"]
    ordering = ["-created_at", "-id"]
    action_permissions = {"train": ["iot.train_predictionmodel"]}

    @extend_schema(request=TrainSerializer, responses={202: TrainAcceptedSerializer})
    @action(detail=False, methods=["post"])
    def train(self, request: Request) -> Response:
        body = TrainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = prediction.prediction_model_request(by=request.user)
        return Response({"id": record.pk, "status": record.status}, status=status.HTTP_202_ACCEPTED)
