"""Health of the process (liveness) and of what the product needs (readiness): the
database, Redis and Celery workers."""

import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )
    try:
        client.ping()
    finally:
        client.close()


def check_celery() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.REDIS_SOCKET_TIMEOUT)
        replies = app.control.ping(timeout=settings.HEALTH_CELERY_TIMEOUT, limit=1, connection=conn)
    if not replies:
        raise RuntimeError("no Celery worker answered")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "celery": check_celery,
}


def run_checks() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        if name == "celery" and results.get("redis", {}).get("status") == "error":
            results[name] = {"status": "error", "error": "broker (Redis) unreachable"}
            continue
        try:
            check()
        except Exception as exc:  # health reports every failure, of any kind
            results[name] = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            results[name] = {
                "status": "ok",
                "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            }
    return results


@require_GET
def health_view(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    failed = sorted(name for name, result in checks.items() if result["status"] != "ok")
    body = {"status": "error" if failed else "ok", "checks": checks, "failed": failed}
    return JsonResponse(body, status=503 if failed else 200)


@require_GET
def liveness_view(request: HttpRequest) -> JsonResponse:
    """The process answers. Nothing else is checked, so a database or Redis outage never
    gets a healthy web process restarted by its orchestrator."""
    return JsonResponse({"status": "ok"})
