"""Token serializers: tokens carry their tenant, refresh rotates and blacklists."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import (
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from core.api.bodies import StrictFieldsMixin
from core.auth.tokens import TenantRefreshToken, token_is_current


def _spend(refresh: TenantRefreshToken) -> None:
    """Blacklist ``refresh``, or refuse it if another request already did.

    The token's outstanding row is locked first, so of several requests presenting the
    same refresh token at once, one blacklists it and commits while the others wait on
    the lock and then find it blacklisted: exactly one rotation succeeds.
    """
    jti = refresh[api_settings.JTI_CLAIM]
    outstanding, _created = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={
            "token": "",
            "expires_at": datetime_from_epoch(refresh["exp"]),
        },
    )
    outstanding = OutstandingToken.objects.select_for_update().get(pk=outstanding.pk)
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        raise AuthenticationFailed(_("Token is blacklisted"), "token_not_valid")
    BlacklistedToken.objects.create(token=outstanding)


class TenantTokenObtainPairSerializer(StrictFieldsMixin, TokenObtainPairSerializer):
    token_class = TenantRefreshToken


class TenantTokenRefreshSerializer(StrictFieldsMixin, TokenRefreshSerializer):
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
        if not token_is_current(refresh, user):
            raise AuthenticationFailed(_("This session has ended."), "session_ended")

        with transaction.atomic():
            _spend(refresh)
            data = {"access": str(refresh.access_token)}
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            refresh.outstand()
        data["refresh"] = str(refresh)
        return data


class TenantTokenBlacklistSerializer(StrictFieldsMixin, TokenBlacklistSerializer):
    token_class = TenantRefreshToken


class TokenPairSerializer(serializers.Serializer):
    """Response of the token endpoints (for the OpenAPI schema)."""

    access = serializers.CharField()
    refresh = serializers.CharField()
