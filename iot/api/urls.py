from django.urls import include, path
from rest_framework.routers import DefaultRouter

from iot.api.views import (
    AnomalyViewSet,
    DeviceHealthView,
    DeviceMetricsView,
    DeviceTokenViewSet,
    DiagnosticAnalyzeView,
    DiagnosticHistoryView,
    DiagnosticRunView,
    MetricsIngestView,
    PredictionModelViewSet,
)

router = DefaultRouter()
router.include_root_view = False
router.register("iot/device-tokens", DeviceTokenViewSet, basename="iot-device-token")
router.register("iot/anomalies", AnomalyViewSet, basename="iot-anomaly")
router.register("iot/models", PredictionModelViewSet, basename="iot-model")


urlpatterns = [
    path("iot/metrics/", MetricsIngestView.as_view(), name="iot-metrics"),
    path(
        "iot/devices/<str:device_id>/metrics/",
        DeviceMetricsView.as_view(),
        name="iot-device-metrics",
    ),
    path(
        "iot/devices/<str:device_id>/health/", DeviceHealthView.as_view(), name="iot-device-health"
    ),
    path("diagnostics/run/", DiagnosticRunView.as_view(), name="diagnostics-run"),
    path("diagnostics/analyze/", DiagnosticAnalyzeView.as_view(), name="diagnostics-analyze"),
    path(
        "diagnostics/history/<str:asset_id>/",
        DiagnosticHistoryView.as_view(),
        name="diagnostics-history",
    ),
    path("", include(router.urls)),
]
