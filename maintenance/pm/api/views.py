"""The preventive maintenance API: calendars, schedules, generation, forecasts, statistics."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.lookups import ID_LOOKUP
from core.exceptions import InvalidInput
from maintenance.models import MaintenanceCalendar, PMSchedule
from maintenance.pm import calendars, generation, schedules, selectors
from maintenance.pm.api.serializers import (
    CalendarSerializer,
    ForecastQuerySerializer,
    ForecastSerializer,
    GenerateResultSerializer,
    PMStatisticsSerializer,
    ScheduleSerializer,
    StatisticsQuerySerializer,
    schedule_fields,
)


class CalendarViewSet(viewsets.ModelViewSet):
    """Working calendars: due dates outside working time move to the next working slot."""

    queryset = MaintenanceCalendar.objects.all()
    serializer_class = CalendarSerializer
    lookup_value_regex = ID_LOOKUP
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]

    def perform_create(self, serializer: CalendarSerializer) -> None:
        serializer.instance = calendars.calendar_create(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: CalendarSerializer) -> None:
        serializer.instance = calendars.calendar_update(
            by=self.request.user, calendar=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: MaintenanceCalendar) -> None:
        calendars.calendar_delete(by=self.request.user, calendar=instance)


class ScheduleViewSet(viewsets.ModelViewSet):
    """PM schedules: time, usage, condition, event or manual triggers on assets or an asset type."""

    queryset = PMSchedule.objects.select_related("calendar", "template").prefetch_related("assets")
    serializer_class = ScheduleSerializer
    lookup_value_regex = ID_LOOKUP
    search_fields = ["name", "description"]
    ordering_fields = ["name", "next_due_at", "last_generated_at", "created_at"]
    filterset_fields = {
        "trigger_type": ["exact"],
        "active": ["exact"],
        "maintenance_type": ["exact"],
        "schedule_mode": ["exact"],
        "asset_type": ["exact"],
        "external_ref": ["exact", "startswith"],
    }
    action_permissions = {
        "generate": ["maintenance.generate_pmschedule"],
        "forecast": ["maintenance.view_pmschedule"],
    }

    def perform_create(self, serializer: ScheduleSerializer) -> None:
        fields, assets = schedule_fields(serializer.validated_data)
        serializer.instance = schedules.schedule_create(
            by=self.request.user, assets=assets or [], **fields
        )

    def perform_update(self, serializer: ScheduleSerializer) -> None:
        fields, assets = schedule_fields(serializer.validated_data)
        serializer.instance = schedules.schedule_update(
            by=self.request.user, schedule=serializer.instance, assets=assets, **fields
        )

    def perform_destroy(self, instance: PMSchedule) -> None:
        schedules.schedule_delete(by=self.request.user, schedule=instance)

    @extend_schema(
        request=None, responses={201: GenerateResultSerializer, 200: GenerateResultSerializer}
    )
    @action(detail=True, methods=["post"])
    def generate(self, request: Request, pk: str) -> Response:
        """Create the work orders now due (time-based: within the lead time; others: one now).
        Calling it again, or while the beat job runs, never duplicates one."""
        schedule = self.get_object()
        report = generation.pm_generate(by=request.user, schedule=schedule)
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
        items = selectors.schedule_forecast(
            self.get_object(), until=until, limit=query.validated_data["limit"]
        )
        return Response(ForecastSerializer(items, many=True).data)


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
        return Response(PMStatisticsSerializer(selectors.pm_statistics(start=start, end=end)).data)
