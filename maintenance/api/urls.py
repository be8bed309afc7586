from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

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

urlpatterns = [
    path("maintenance/history/", MaintenanceHistoryView.as_view(), name="maintenance-history"),
    re_path(
        r"^attachments/(?P<pk>[0-9]{1,18})/download/$",
        AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
    path("", include(router.urls)),
    path("", include("maintenance.pm.api.urls")),
]
