"""Links into a tenant's site that leave the API (printed labels, e-mails)."""

from django.conf import settings
from django.db import connection
from rest_framework.request import Request

from assets.models import Asset

REQUEST_FORM_PATH = "/request/{token}/"


def tenant_base_url(request: Request | None = None) -> str:
    """``scheme://host[:port]`` of the current tenant, from the request when there is one."""
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    tenant = getattr(connection, "tenant", None)
    domain = (
        tenant.get_primary_domain()
        if tenant is not None and hasattr(tenant, "get_primary_domain")
        else None
    )
    host = domain.domain if domain else "localhost"
    port = settings.TENANT_URL_PORT
    default_port = {"http": "80", "https": "443"}.get(settings.TENANT_URL_SCHEME)
    suffix = f":{port}" if port and port != default_port else ""
    return f"{settings.TENANT_URL_SCHEME}://{host}{suffix}"


def request_url_for(asset: Asset, request: Request | None = None) -> str:
    """The asset's public request form (what its QR code opens)."""
    return tenant_base_url(request) + REQUEST_FORM_PATH.format(token=asset.request_token)
