"""OpenTelemetry, switched on only when OTEL_EXPORTER_OTLP_ENDPOINT is set."""

import structlog
from django.conf import settings

logger = structlog.get_logger(__name__)
_configured = False


def configure_tracing(component: str) -> bool:
    """Instrument Django, psycopg, Redis and Celery and export spans over OTLP/HTTP."""
    global _configured
    endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT
    if not endpoint or _configured:
        return _configured
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create(
        {"service.name": settings.OTEL_SERVICE_NAME, "service.component": component}
    )
    provider = TracerProvider(resource=resource)
    # The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT itself and appends /v1/traces.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument()
    PsycopgInstrumentor().instrument(enable_commenter=False)
    RedisInstrumentor().instrument()
    CeleryInstrumentor().instrument()
    _configured = True
    logger.info("tracing_enabled", endpoint=endpoint, component=component)
    return True
