"""A tenant's domain: the API, its documentation and the tenant's admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularSwaggerView

from core.api.schema import SchemaView
from maintenance.public import request_form
from tenants.admin import adopt_platform_models

# Beat schedules are the platform's; tenant managers never see them.
adopt_platform_models()

api_v1 = [
    path("", include("core.api.urls")),
    path("inventory/", include("inventory.api.urls")),
    path("", include("assets.api.urls")),
    path("", include("maintenance.api.urls")),
    path("analytics/", include("analytics.api.urls")),
    path("notifications/", include("notifications.api.urls")),
    path("sla/", include("sla.api.urls")),
    path("", include("iot.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
    path("request/<str:token>/", request_form, name="public-request-form"),
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
]

handler400 = "core.http_errors.bad_request"
handler403 = "core.http_errors.permission_denied"
handler404 = "core.http_errors.page_not_found"
handler500 = "core.http_errors.server_error"
