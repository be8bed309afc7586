"""The analytics API: KPIs, trends, costs against budgets, device performance, budgets.

Every report answers JSON, or a download with ``?format=csv`` or ``?format=xlsx``.
"""

from collections.abc import Callable
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors, services
from analytics.api.serializers import (
    BudgetSerializer,
    CostRowSerializer,
    CostsQuerySerializer,
    DevicePerformanceQuerySerializer,
    DevicePerformanceSerializer,
    OverviewSerializer,
    PeriodQuerySerializer,
    PredictiveInsightSerializer,
    TrendSerializer,
    TrendsQuerySerializer,
)
from analytics.models import Budget
from core.api.exports import FORMATS, table_download
from core.api.lookups import ID_LOOKUP

ANALYTICS = ["analytics.view_analytics"]


def _download_responses(answer: Any) -> dict[Any, Any]:
    return {
        (200, "application/json"): answer,
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="?format=csv"),
        (200, FORMATS["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY, description="?format=xlsx"),
    }


class ReportView(APIView):
    """A report over a period: figures from ``analytics.selectors``, as JSON or a download."""

    required_permissions: ClassVar[list[str]] = ANALYTICS
    query_class: ClassVar[type[serializers.Serializer]] = PeriodQuerySerializer
    answer_class: ClassVar[type[serializers.Serializer]]
    report: ClassVar[str]
    many: ClassVar[bool] = True
    figures: Callable[..., Any]

    def get(self, request: Request) -> Response:
        query = self.query_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        fmt = params.pop("format", "json")
        period = selectors.Period(start=params.pop("start"), end=params.pop("end"))
        data = type(self).figures(period=period, **params)
        if fmt != "json":
            rows = data if self.many else [data]
            name = f"{self.report}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
            return table_download(rows, fmt=fmt, filename=name)
        # The selectors give JSON-ready figures; ``answer_class`` describes them in the schema.
        return Response(data)


class OverviewView(ReportView):
    """MTTR, MTBF, availability, PM compliance, planned maintenance %, backlog and SLA met %.

    Over `start`/`end` (ISO dates or datetimes; a date `end` includes that whole day;
    default the 90 days up to now). Elapsed = up to min(end, now).
    MTTR = mean(completed_at - started_at) of corrective and emergency work completed in the
    period, hours. MTBF = (elapsed hours x assets in scope - downtime hours) / failures,
    hours (null without failures). Availability = (1 - downtime / (elapsed hours x
    assets)) x 100. PM compliance = time-based PM work orders completed within 10% of their
    interval after due / PM work orders due. Planned maintenance % = planned hours / all
    maintenance hours completed. Backlog = estimated hours of open work; in weeks, divided
    by the weekly capacity (active technicians x weekly hours). SLA met % = met / (met +
    breached). A figure undefined for the period is null.
    """

    answer_class = OverviewSerializer
    report = "overview"
    many = False
    figures = staticmethod(selectors.overview)

    @extend_schema(
        parameters=[PeriodQuerySerializer], responses=_download_responses(OverviewSerializer)
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class TrendsView(ReportView):
    """Per day, week (from Monday) or month, in UTC: work created, completed, overdue (due
    in the period and finished late or still open), MTTR and cost."""

    query_class = TrendsQuerySerializer
    answer_class = TrendSerializer
    report = "trends"
    figures = staticmethod(selectors.trends)

    @extend_schema(
        parameters=[TrendsQuerySerializer],
        responses=_download_responses(TrendSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class CostsView(ReportView):
    """Labor, parts, other and total cost per asset, work type or month, against budgets.

    Costs count on the work order's completion date, or its creation date while it is not
    completed. Budget: the budgets of the months the period touches (by month: the whole
    tenant's); variance = budget - total, null without a budget.
    """

    query_class = CostsQuerySerializer
    answer_class = CostRowSerializer
    report = "costs"
    figures = staticmethod(selectors.costs)

    @extend_schema(
        parameters=[CostsQuerySerializer],
        responses=_download_responses(CostRowSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class DevicePerformanceView(ReportView):
    """Per asset in service: uptime, failures, MTBF, MTTR, downtime, health and risk."""

    required_permissions = ["analytics.view_device_performance"]
    query_class = DevicePerformanceQuerySerializer
    answer_class = DevicePerformanceSerializer
    report = "device-performance"

    @staticmethod
    def figures(*, period: selectors.Period, asset_id: str | None = None) -> Any:
        return selectors.device_performance(
            period=period, asset_ids=[asset_id] if asset_id else None
        )

    @extend_schema(
        parameters=[DevicePerformanceQuerySerializer],
        responses=_download_responses(DevicePerformanceSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class PredictiveInsightsView(ReportView):
    """Assets in service, riskiest first: risk level (critical, high, medium, low), then
    the nearest predicted failure, then the lowest health score; each with the reasons
    behind it (predicted failure inside the tenant's lead time, risk, failures, anomalies,
    diagnostics, condition). Health is as of now; `predicted_failure_within_days` comes
    from the newest ready remaining-life model, counted from the asset's latest reading."""

    query_class = DevicePerformanceQuerySerializer
    answer_class = PredictiveInsightSerializer
    report = "predictive-insights"

    @staticmethod
    def figures(*, period: selectors.Period, asset_id: str | None = None) -> Any:
        return selectors.predictive_insights(
            period=period, asset_ids=[asset_id] if asset_id else None
        )

    @extend_schema(
        parameters=[DevicePerformanceQuerySerializer],
        responses=_download_responses(PredictiveInsightSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class BudgetViewSet(viewsets.ModelViewSet):
    """Monthly maintenance budgets per asset, per work type, or for the whole tenant."""

    queryset = Budget.objects.select_related("asset")
    serializer_class = BudgetSerializer
    lookup_value_regex = ID_LOOKUP
    filterset_fields = ["work_type", "month"]
    ordering_fields = ["month", "amount"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_create(self, serializer: BudgetSerializer) -> None:
        serializer.instance = services.budget_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: BudgetSerializer) -> None:
        serializer.instance = services.budget_update(
            by=self.request.user, budget=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Budget) -> None:
        services.budget_delete(by=self.request.user, budget=instance)
