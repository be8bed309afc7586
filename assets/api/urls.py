from django.urls import include, path
from rest_framework.routers import DefaultRouter

from assets.api.views import AlertViewSet, AssetViewSet, LocationViewSet, ThresholdViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("assets", AssetViewSet, basename="asset")
router.register("alerts", AlertViewSet, basename="alert")
router.register("locations", LocationViewSet, basename="location")
router.register("asset-thresholds", ThresholdViewSet, basename="asset-threshold")

urlpatterns = [path("", include(router.urls))]
