"""Real processes for end-to-end tests: an ASGI server and a Celery worker.

They run the project's own code against the session's test database and the
test Redis database, exactly as `make run` starts them, on loopback only.
"""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_environment(**extra: str) -> dict[str, str]:
    settings_dict = connection.settings_dict
    user = settings_dict["USER"] or "postgres"
    host = settings_dict["HOST"] or "127.0.0.1"
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=(
            f"postgres://{user}@{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
        ),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def wait_until(check: Callable[[], bool], timeout: float = 20) -> bool:
    """Whether ``check`` came true within ``timeout`` seconds (asked every 0.2 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


class LiveProcess:
    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        self.name = name
        self.log_path = ROOT / "var" / f"test-{name}-{os.getpid()}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def assert_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}:\n{self.output()}"
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                # A server still holding idle keep-alive connections waits for them; a
                # test process has nothing worth waiting for.
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()


class AsgiServer(LiveProcess):
    """uvicorn serving config.asgi (HTTP and WebSocket), as the Procfile's web process."""

    def __init__(self, database_options: str = "", **env: str) -> None:
        self.port = free_port()
        environment = child_environment(**env)
        if database_options:
            environment["DATABASE_URL"] += f"?{database_options}"
        super().__init__(
            "asgi",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--lifespan",
                "off",
                # As the Procfile: the connection's peer is the client (TRUSTED_PROXY_COUNT).
                "--no-proxy-headers",
                "--ws",
                "websockets",
                "--log-level",
                "warning",
            ],
            environment,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"ASGI server did not start:\n{self.output()}")

    def ws_url(self, host: str, path: str) -> str:
        return f"ws://{host}:{self.port}{path}"

    def socket(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)


class CeleryWorker(LiveProcess):
    """A Celery worker (solo pool) consuming from the test Redis database."""

    def __init__(self) -> None:
        super().__init__(
            "celery",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"test-{os.getpid()}@%h",
            ],
            # The operator allows the tests' local servers (vendor fakes, webhook targets).
            child_environment(OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32"),
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        from config.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            if app.control.ping(timeout=0.5):
                return
        raise RuntimeError(f"Celery worker did not start:\n{self.output()}")


def decode(frame: str | bytes) -> dict:
    return json.loads(frame)


class CeleryBeat(LiveProcess):
    """Celery beat as the Procfile runs it (the database scheduler), with its own job
    intervals from ``env`` (e.g. ``SLA_MONITOR_EVERY_SECONDS``)."""

    def __init__(self, **env: str) -> None:
        super().__init__(
            "beat",
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
            child_environment(**env),
        )
        deadline = time.monotonic() + 30
        while "beat: Starting" not in self.output() and time.monotonic() < deadline:
            self.assert_alive()
            time.sleep(0.2)
