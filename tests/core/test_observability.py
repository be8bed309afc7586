"""/health, /metrics, JSON logs with request ids, OpenTelemetry export."""

import json
import logging
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import Client, override_settings

from config.celery import app as celery_app
from core.observability.logging import structlog_formatter
from tests.live import ROOT, child_environment

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_workers():
    """Point the health check's Celery ping at a broker database no worker listens on."""
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = original.rsplit("/", 1)[0] + "/3"
    yield
    celery_app.conf.broker_url = original


@pytest.mark.live
@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "alpha.localhost", "unknown.example"])
def test_health_is_ok_on_every_host_when_everything_runs(celery_worker, alpha, host):
    host = alpha.domain if host == "alpha.localhost" else host

    response = Client(HTTP_HOST=host).get("/health")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
        "celery": "ok",
    }


def test_health_is_503_naming_celery_when_no_worker_answers(no_workers):
    response = Client(HTTP_HOST="localhost").get("/health")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["celery"]
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "ok"
    assert "no Celery worker" in body["checks"]["celery"]["error"]


def test_health_is_503_naming_redis_when_redis_is_down():
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = Client(HTTP_HOST="localhost").get("/health")

    assert response.status_code == 503
    body = response.json()
    assert "redis" in body["failed"]
    assert body["checks"]["redis"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"


def test_health_answers_without_trailing_slash_or_redirect(no_workers):
    response = Client(HTTP_HOST="localhost").get("/health", follow=False)

    assert response.status_code in {200, 503}
    assert "Location" not in response


def test_metrics_are_prometheus_text_on_every_host(alpha):
    for host in ("localhost", alpha.domain, "unknown.example"):
        response = Client(HTTP_HOST=host).get("/metrics")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        text = response.content.decode()
        assert "django_http_requests_before_middlewares_total" in text
        assert "cmms_event_delivery_failures_total" in text


def test_metrics_can_require_a_bearer_token():
    with override_settings(METRICS_BEARER_TOKEN="s3cret"):
        assert Client().get("/metrics").status_code == 401
        assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


class CaptureHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(structlog_formatter("json"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_each_request_logs_one_json_line_with_its_request_id(api, alpha):
    handler = CaptureHandler()
    logger = logging.getLogger("core.requests")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        api("viewer").get("/api/v1/auth/me/", HTTP_X_REQUEST_ID="trace-me-42")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    records = [json.loads(line) for line in handler.lines]
    assert len(records) == 1
    record = records[0]
    assert record["event"] == "request"
    assert record["request_id"] == "trace-me-42"
    assert record["status"] == 200
    assert record["path"] == "/api/v1/auth/me/"
    assert record["tenant"] == alpha.schema
    assert "timestamp" in record


class Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, int]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        Collector.received.append((self.path, length))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


SCRIPT = """
import django
django.setup()
from opentelemetry import trace
from core.observability.tracing import configure_tracing
assert configure_tracing("test")
from django.test import Client
print(Client(HTTP_HOST="localhost").get("/health").status_code)
trace.get_tracer_provider().force_flush()
"""


def test_tracing_exports_spans_when_an_otlp_endpoint_is_set():
    server = HTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Collector.received.clear()
    try:
        env = child_environment(
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{server.server_port}"
        )
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.shutdown()

    assert result.returncode == 0, result.stderr
    assert any(path == "/v1/traces" and size > 0 for path, size in Collector.received)


def test_tracing_stays_off_without_an_endpoint():
    from core.observability.tracing import configure_tracing

    assert configure_tracing("test") is False
