from django.urls import include, path
from rest_framework.routers import DefaultRouter

from analytics.api.views import (
    BudgetViewSet,
    CostsView,
    DevicePerformanceView,
    OverviewView,
    PredictiveInsightsView,
    TrendsView,
)

router = DefaultRouter()
router.include_root_view = False
router.register("budgets", BudgetViewSet, basename="budget")

urlpatterns = [
    path("overview/", OverviewView.as_view(), name="analytics-overview"),
    path("trends/", TrendsView.as_view(), name="analytics-trends"),
    path("costs/", CostsView.as_view(), name="analytics-costs"),
    path("device-performance/", DevicePerformanceView.as_view(), name="analytics-devices"),
    path("predictive-insights/", PredictiveInsightsView.as_view(), name="analytics-predictive"),
    path("", include(router.urls)),
]
