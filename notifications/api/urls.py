from django.urls import include, path
from rest_framework.routers import DefaultRouter

from notifications.api.views import ChannelViewSet, DeliveryViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("channels", ChannelViewSet, basename="notification-channel")
router.register("deliveries", DeliveryViewSet, basename="notification-delivery")

urlpatterns = [path("", include(router.urls))]
