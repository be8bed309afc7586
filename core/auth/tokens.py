"""JSON Web Tokens bound to the tenant that minted them.

Users of different tenants share ids, so a token that named only its user
would authenticate as someone else on another tenant's domain. Every token
carries the schema it was minted in; verifying it anywhere else fails.
"""

from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

TENANT_CLAIM = "tenant"


class TenantBoundTokenMixin:
    payload: dict[str, Any]

    def verify(self) -> None:
        # Checked before anything else so a foreign token never reaches this tenant's tables.
        if self.payload.get(TENANT_CLAIM) != connection.schema_name:
            raise TokenError(_("Token is not valid for this tenant"))
        super().verify()  # type: ignore[misc]

    def __init__(self, token: Token | str | bytes | None = None, verify: bool = True) -> None:
        super().__init__(token, verify)  # type: ignore[call-arg]
        if token is None:
            # A token minted here belongs here (set before for_user stores it as outstanding).
            self.payload[TENANT_CLAIM] = connection.schema_name


class TenantAccessToken(TenantBoundTokenMixin, AccessToken):
    pass


class TenantRefreshToken(TenantBoundTokenMixin, RefreshToken):
    access_token_class = TenantAccessToken


class TenantJWTAuthentication(JWTAuthentication):
    """Bearer-token authentication that also requires the token's tenant to match."""

    www_authenticate_realm = "api"
