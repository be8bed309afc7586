"""Sign-in endpoints: obtain (with failed-login throttling), refresh, sign out, me."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import (
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
)

from core.auth.login_throttle import LoginGate
from core.client_address import client_address
from core.observability.metrics import REQUESTS_THROTTLED
from core.services import user_sessions_end


class TokenObtainView(TokenObtainPairView):
    """Exchange a username and password for an access and a refresh token."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        username = request.data.get("username", "") if hasattr(request.data, "get") else ""
        gate = LoginGate(username=str(username)[:150], address=client_address(request))
        wait = gate.retry_after()
        if wait is not None:
            REQUESTS_THROTTLED.labels(scope="login").inc()
            raise Throttled(wait=wait, detail="Too many failed sign-in attempts. Try again later.")
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            gate.record_failure()
            raise


class TokenRefreshRotateView(TokenRefreshView):
    """Trade a refresh token for a new access token and a new refresh token.

    The refresh token sent is blacklisted: each one works once.
    """


class TokenRevokeView(TokenBlacklistView):
    """Sign out: blacklist a refresh token so it can no longer be used."""


class SignOutEverywhereView(APIView):
    """Sign out of every session: every access and refresh token of yours stops working at
    once and your open live feeds close. Sign in again with your password."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        user_sessions_end(by=request.user, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TenantSummarySerializer(serializers.Serializer):
    schema = serializers.CharField()
    name = serializers.CharField()
    domain = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    tenant = TenantSummarySerializer()


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        tenant = request.tenant
        domain = tenant.get_primary_domain()
        data = {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": user.role,
            "tenant": {
                "schema": tenant.schema_name,
                "name": tenant.name,
                "domain": domain.domain if domain else request.get_host().split(":")[0],
            },
        }
        return Response(MeSerializer(data).data, status=status.HTTP_200_OK)
