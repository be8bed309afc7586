"""ASGI entry point: HTTP through Django, WebSocket ``/ws/events/`` through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from core.consumers import EventsConsumer  # noqa: E402
from core.observability.tracing import configure_tracing  # noqa: E402
from tenants.asgi import TenantScopeMiddleware  # noqa: E402

configure_tracing("web")

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TenantScopeMiddleware(
            URLRouter([path("ws/events/", EventsConsumer.as_asgi())])
        ),
    }
)
