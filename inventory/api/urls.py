from django.urls import include, path
from rest_framework.routers import DefaultRouter

from inventory.api.views import (
    PartViewSet,
    PurchaseOrderViewSet,
    StockLevelViewSet,
    StockLocationViewSet,
    StockMovementViewSet,
    VendorViewSet,
)

router = DefaultRouter()
router.include_root_view = False
router.register("parts", PartViewSet, basename="part")
router.register("stock-locations", StockLocationViewSet, basename="stock-location")
router.register("stock-levels", StockLevelViewSet, basename="stock-level")
router.register("stock-movements", StockMovementViewSet, basename="stock-movement")
router.register("vendors", VendorViewSet, basename="vendor")
router.register("purchase-orders", PurchaseOrderViewSet, basename="purchase-order")

urlpatterns = [
    path("", include(router.urls)),
]
