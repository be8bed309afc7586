"""ASGI middleware that resolves the tenant from the Host header into the scope.

It sits outside authentication: every consumer finds ``scope["tenant"]`` (or
None for an unknown host) and runs its database work inside that tenant.
"""

from typing import Any

from channels.db import database_sync_to_async
from django_tenants.utils import get_public_schema_name, remove_www, schema_context

from tenants.models import Domain, Tenant


def _host_from_scope(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return remove_www(value.decode("latin-1").split(":")[0].strip().lower())
    server = scope.get("server")
    return server[0] if server else ""


def tenant_for_host(host: str) -> Tenant | None:
    with schema_context(get_public_schema_name()):
        domain = (
            Domain.objects.select_related("tenant")
            .filter(domain=host, tenant__ready=True)
            .exclude(tenant__schema_name=get_public_schema_name())
            .first()
        )
    return domain.tenant if domain else None


class TenantScopeMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        host = _host_from_scope(scope)
        tenant = await database_sync_to_async(tenant_for_host)(host) if host else None
        return await self.app({**scope, "tenant": tenant}, receive, send)
