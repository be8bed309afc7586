"""Error answers for what Django refuses before or outside a view: JSON on the API.

A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, an unknown route or a crash would
otherwise answer Django's HTML pages (or, with DEBUG on, its debug pages) to API
clients. The admin and the public request form are pages for people and keep
Django's HTML answers.
"""

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from psycopg_pool import PoolTimeout

HTML_PREFIXES = ("/admin/", "/request/")


def _wants_html(request: HttpRequest) -> bool:
    return request.path_info.startswith(HTML_PREFIXES)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_html(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"detail": "The request body is too large."}, status=413)
    if isinstance(exception, TooManyFieldsSent):
        return JsonResponse({"detail": "The request has too many fields."}, status=400)
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_html(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse(
        {"detail": "You do not have permission to perform this action."}, status=403
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_html(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse({"detail": "Not found."}, status=404)


def _waited_for_database() -> bool:
    """Whether the request failed because no pooled database connection came free in
    time (Django raises its own error from the pool's)."""
    error = sys.exc_info()[1]
    while error is not None:
        if isinstance(error, PoolTimeout):
            return True
        error = error.__cause__ or error.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    if _waited_for_database():
        # Every connection of the process was busy for DATABASE_POOL_TIMEOUT seconds:
        # the server is overloaded, not broken, and the request changed nothing.
        response = HttpResponse(
            "The service is busy; try again shortly.\n", status=503, content_type="text/plain"
        )
        if not _wants_html(request):
            response = JsonResponse(
                {"detail": "The service is busy; try again shortly."}, status=503
            )
        response["Retry-After"] = str(max(1, settings.DATABASE_POOL_TIMEOUT))
        return response
    if _wants_html(request):
        return defaults.server_error(request)
    return JsonResponse({"detail": "Server error."}, status=500)
