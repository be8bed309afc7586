from django.urls import include, path
from rest_framework.routers import DefaultRouter

from cmms_sync.api.views import (
    ConnectionViewSet,
    FieldMappingViewSet,
    SyncRunViewSet,
    SyncView,
)
from cmms_sync.choices import RunEntity

router = DefaultRouter()
router.include_root_view = False
router.register("connections", ConnectionViewSet, basename="cmms-connection")
router.register("field-mappings", FieldMappingViewSet, basename="cmms-field-mapping")
router.register("sync-runs", SyncRunViewSet, basename="cmms-sync-run")

urlpatterns = [
    path(
        "sync/work-orders/",
        SyncView.as_view(entity=RunEntity.WORK_ORDERS),
        name="cmms-sync-work-orders",
    ),
    path(
        "sync/schedules/", SyncView.as_view(entity=RunEntity.SCHEDULES), name="cmms-sync-schedules"
    ),
    path("sync/assets/", SyncView.as_view(entity=RunEntity.ASSETS), name="cmms-sync-assets"),
    path("sync/all/", SyncView.as_view(entity=RunEntity.ALL), name="cmms-sync-all"),
    path("", include(router.urls)),
]
