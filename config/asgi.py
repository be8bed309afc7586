"""ASGI entry point: HTTP through Django, WebSocket ``/ws/events/`` through Channels."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
# Each request runs in a thread of its own here: the process's connections are pooled
# (DATABASE_POOL in config.settings.base) instead of opened per request.
os.environ.setdefault("DATABASE_POOL", "1")
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

# What is loaded by now lives as long as the process, so the cycle collector is told to
# leave it alone, and it runs after 50,000 new objects instead of 700: a batch of 10,000
# readings makes tens of thousands of short-lived dicts and tuples that reference
# counting frees by itself, and the collector's passes over them took a tenth of the
# request's time.
gc.freeze()
gc.set_threshold(50_000, 10, 10)
