from django.urls import include, path
from rest_framework.routers import DefaultRouter

from sla.api.views import PerformanceView, PolicyViewSet, ViolationViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("config", PolicyViewSet, basename="sla-policy")
router.register("violations", ViolationViewSet, basename="sla-violation")

urlpatterns = [
    path("performance/", PerformanceView.as_view(), name="sla-performance"),
    path("", include(router.urls)),
]
