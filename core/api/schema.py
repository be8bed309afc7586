"""The OpenAPI schema endpoint."""

from drf_spectacular.views import SpectacularAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class FormatQueryNegotiation(DefaultContentNegotiation):
    """Honours ``?format=json|yaml``, which the API at large leaves to its endpoints
    (``URL_FORMAT_OVERRIDE`` is off so QR codes and exports can use the name)."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return super().select_renderer(
            request, renderers, format_suffix or request.query_params.get("format")
        )


class SchemaView(SpectacularAPIView):
    """OpenAPI 3: YAML by default, JSON with ``?format=json`` or ``Accept``."""

    content_negotiation_class = FormatQueryNegotiation
