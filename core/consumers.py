"""The live event feed: ``/ws/events/?token=<access JWT>``.

The tenant comes from the Host header (resolved into the scope by
tenants.asgi.TenantScopeMiddleware); the token must have been minted on that
tenant. The client joins only its tenant's group and receives
``{"type": NAME, "data": {...}}`` for each event it is allowed to see.
"""

import time
from typing import Any
from urllib.parse import parse_qs

import structlog
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django_tenants.utils import tenant_context
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings

from core.auth.tokens import TenantAccessToken, token_is_current
from core.events import Audience, tenant_group_name, user_group_name
from core.models import User
from core.roles import Role

logger = structlog.get_logger(__name__)

# WebSocket close codes (4000-4999 are the application's own).
CLOSE_NO_TENANT = 4404
CLOSE_UNAUTHENTICATED = 4401


def _user_for_token(tenant: Any, raw_token: str) -> tuple[int, str | None, float] | None:
    """(user id, role, expiry timestamp) for a valid access token of this tenant, else None."""
    with tenant_context(tenant):
        try:
            token = TenantAccessToken(raw_token)
        except TokenError:
            return None
        user = (
            User.objects.filter(pk=token.get(api_settings.USER_ID_CLAIM), is_active=True)
            .prefetch_related("groups")
            .first()
        )
        if user is None or not token_is_current(token, user):
            return None
        return user.pk, user.role, float(token["exp"])


class EventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        tenant = self.scope.get("tenant")
        if tenant is None:
            await self.close(code=CLOSE_NO_TENANT)
            return
        params = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw_token = (params.get("token") or [""])[0]
        identity = (
            await database_sync_to_async(_user_for_token)(tenant, raw_token) if raw_token else None
        )
        if identity is None:
            # Closing before accept refuses the handshake (HTTP 403 to the client).
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id, self.role, self.expires_at = identity
        self.group_names = [
            tenant_group_name(tenant.schema_name),
            # Where the user's sessions are ended (password change, deactivation, sign-out).
            user_group_name(tenant.schema_name, self.user_id),
        ]
        for group_name in self.group_names:
            await self.channel_layer.group_add(group_name, self.channel_name)
        await self.accept()
        logger.info("ws_connected", tenant=tenant.schema_name, user_id=self.user_id)

    async def disconnect(self, code: int) -> None:
        for group_name in getattr(self, "group_names", []):
            await self.channel_layer.group_discard(group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The feed is one-way; a ping keeps proxies from closing an idle socket.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def session_ended(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def tenant_event(self, message: dict[str, Any]) -> None:
        await self._forward([message])

    async def tenant_events(self, message: dict[str, Any]) -> None:
        await self._forward(message["events"])

    async def _forward(self, events: list[dict[str, Any]]) -> None:
        if time.time() >= self.expires_at:
            # The socket outlives no token: the client reconnects with a fresh one.
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        for event in events:
            if self._admits(Audience.from_message(event.get("audience"))):
                await self.send_json({"type": event["event"], "data": event["data"]})

    def _admits(self, audience: Audience | None) -> bool:
        if audience is None:
            # Unaddressed events are the team's; a requester sees only their own requests'.
            return self.role != Role.REQUESTER
        return audience.admits(user_id=self.user_id, role=self.role)
