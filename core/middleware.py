"""Request plumbing: request ids, the host-independent ops endpoints, tenant routing."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django_tenants.middleware.main import TenantMainMiddleware

from core.context import bind_request_id, clear_request_id, request_id_from_header

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Take the caller's ``X-Request-ID`` (or make one), bind it to logs, return it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from_header(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        bind_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            clear_request_id()
        response[REQUEST_ID_HEADER] = request_id
        return response


class OperationsEndpointsMiddleware:
    """``/health`` and ``/metrics`` answer on every host, before tenant routing.

    Load balancers and Prometheus call them by address, not by a tenant's name.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/health":
            from core.health import health_view

            return health_view(request)
        if request.path_info == "/metrics":
            from core.observability.export import metrics_view

            return metrics_view(request)
        return self.get_response(request)


class TenantMiddleware(TenantMainMiddleware):
    """django-tenants routing; an unknown host gets a plain 404, not an error page."""

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        return JsonResponse({"detail": "Not found."}, status=404)
