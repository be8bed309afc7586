"""JSON Web Tokens bound to the tenant that minted them and to the user's sessions.

Users of different tenants share ids, so a token that named only its user
would authenticate as someone else on another tenant's domain. Every token
carries the schema it was minted in; verifying it anywhere else fails.

Every token also carries the user's token version. A password change,
deactivation or "sign out everywhere" raises the version, and from then on
every token minted before (access and refresh alike) is refused.
"""

from typing import Any, Self

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from core.models import User

TENANT_CLAIM = "tenant"
VERSION_CLAIM = "ver"


def token_is_current(token: Token, user: User) -> bool:
    """Whether the token was minted since the user's sessions were last ended."""
    return int(token.payload.get(VERSION_CLAIM, 0)) == user.token_version


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

    @classmethod
    def for_user(cls, user: User) -> Self:
        token = super().for_user(user)  # type: ignore[misc]
        token[VERSION_CLAIM] = user.token_version
        return token


class TenantAccessToken(TenantBoundTokenMixin, AccessToken):
    pass


class TenantRefreshToken(TenantBoundTokenMixin, RefreshToken):
    access_token_class = TenantAccessToken


class TenantJWTAuthentication(JWTAuthentication):
    """Bearer-token authentication that also requires the token's tenant to match and the
    user's sessions not to have been ended since it was minted.

    The version is compared with the user row that authentication loads anyway, so the
    check costs no query and no cache round trip, and it takes effect on the very next
    request after the change commits.
    """

    www_authenticate_realm = "api"

    def get_user(self, validated_token: Token) -> User:
        user = super().get_user(validated_token)
        if not token_is_current(validated_token, user):
            raise AuthenticationFailed(_("This session has ended."), code="session_ended")
        return user
