"""The public domain: platform administration only (and /health, /metrics on every host)."""

from django.urls import path
from django.views.generic import RedirectView

from tenants.admin import adopt_platform_models, platform_site

adopt_platform_models()

urlpatterns = [
    path("admin/", platform_site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]

handler400 = "core.http_errors.bad_request"
handler403 = "core.http_errors.permission_denied"
handler404 = "core.http_errors.page_not_found"
handler500 = "core.http_errors.server_error"
