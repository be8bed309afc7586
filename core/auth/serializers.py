"""Token serializers: tokens carry their tenant, refresh rotates and blacklists."""

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import (
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.settings import api_settings

from core.auth.tokens import TenantRefreshToken


class TenantTokenObtainPairSerializer(TokenObtainPairSerializer):
    token_class = TenantRefreshToken


class TenantTokenRefreshSerializer(TokenRefreshSerializer):
    token_class = TenantRefreshToken

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = (
            get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
            if user_id is not None
            else None
        )
        # A deleted or deactivated user's refresh token is dead, not a server error.
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(
                _("No active account found for the given token."), "no_active_account"
            )

        data = {"access": str(refresh.access_token)}
        refresh.blacklist()
        refresh.set_jti()
        refresh.set_exp()
        refresh.set_iat()
        refresh.outstand()
        data["refresh"] = str(refresh)
        return data


class TenantTokenBlacklistSerializer(TokenBlacklistSerializer):
    token_class = TenantRefreshToken


class TokenPairSerializer(serializers.Serializer):
    """Response of the token endpoints (for the OpenAPI schema)."""

    access = serializers.CharField()
    refresh = serializers.CharField()
