"""Device tokens on the API: ``Authorization: Bearer iotd_...``.

A device signs in as a ``DevicePrincipal``: authenticated, holding no permission
at all, so every route but posting its own metrics refuses it. Routes other than
the metrics route do not even try device tokens; there the token is an invalid
bearer token (401), so a device can read nothing anywhere.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from iot.models import DeviceToken
from iot.services.tokens import device_token_find, looks_like_device_token


class DevicePrincipal:
    """Who a device token speaks for: one device, no permissions."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    role = None

    def __init__(self, token: DeviceToken) -> None:
        self.token = token
        self.device_id = token.asset.asset_id
        # Rate limits count per token.
        self.pk = self.id = f"device-{token.pk}"
        self.username = f"device:{self.device_id}"

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return False

    def __str__(self) -> str:
        return self.username


class DeviceTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[DevicePrincipal, DeviceToken] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != self.keyword:
            return None
        raw = parts[1].decode("latin-1")
        if not looks_like_device_token(raw):
            return None  # a user's JWT: the next authentication class reads it
        token = device_token_find(raw)
        if token is None or token.revoked_at is not None:
            raise AuthenticationFailed("Invalid or revoked device token.")
        return DevicePrincipal(token), token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class CanPostMetrics(BasePermission):
    """A device token (for its own device, checked per reading), or a user whose role
    records readings (technicians and above)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, DeviceToken):
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("iot.record_metrics"))


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    """The device token in the OpenAPI description: a bearer token of one device."""

    target_class = DeviceTokenAuthentication
    name = "deviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A device token (`iotd_...`): posts its own device's readings only.",
        }
