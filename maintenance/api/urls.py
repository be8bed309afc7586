from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from maintenance.api.pm import CalendarViewSet, PMStatisticsView, ScheduleViewSet
from maintenance.api.views import (
    AttachmentDownloadView,
    MaintenanceHistoryView,
    WorkOrderTemplateViewSet,
    WorkOrderViewSet,
    WorkRequestViewSet,
)

router = DefaultRouter()
router.include_root_view = False
router.register("work-orders", WorkOrderViewSet, basename="work-order")
router.register("work-requests", WorkRequestViewSet, basename="work-request")
router.register("work-order-templates", WorkOrderTemplateViewSet, basename="work-order-template")
router.register("preventive-maintenance/schedules", ScheduleViewSet, basename="pm-schedule")
router.register("maintenance/calendars", CalendarViewSet, basename="maintenance-calendar")

urlpatterns = [
    path("maintenance/history/", MaintenanceHistoryView.as_view(), name="maintenance-history"),
    path("preventive-maintenance/statistics/", PMStatisticsView.as_view(), name="pm-statistics"),
    re_path(
        r"^attachments/(?P<pk>[0-9]{1,18})/download/$",
        AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    path("", include(router.urls)),
]
