from django.urls import include, path
from rest_framework.routers import DefaultRouter

from core.api.views import AuditLogViewSet, UserViewSet
from core.auth.views import (
    MeView,
    SignOutEverywhereView,
    TokenObtainView,
    TokenRefreshRotateView,
    TokenRevokeView,
)

router = DefaultRouter()
router.include_root_view = False
router.register("users", UserViewSet, basename="user")
router.register("audit-log", AuditLogViewSet, basename="audit-log")

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshRotateView.as_view(), name="token-refresh"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="token-revoke"),
    path("auth/sign-out-all/", SignOutEverywhereView.as_view(), name="sign-out-all"),
    path("auth/me/", MeView.as_view(), name="auth-me"),
    path("", include(router.urls)),
]
