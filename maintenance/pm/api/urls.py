from django.urls import include, path
from rest_framework.routers import DefaultRouter

from maintenance.pm.api.views import CalendarViewSet, PMStatisticsView, ScheduleViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("preventive-maintenance/schedules", ScheduleViewSet, basename="pm-schedule")
router.register("maintenance/calendars", CalendarViewSet, basename="maintenance-calendar")

urlpatterns = [
    path("preventive-maintenance/statistics/", PMStatisticsView.as_view(), name="pm-statistics"),
    path("", include(router.urls)),
]
