from typing import Any

from django.apps import AppConfig


class CmmsSyncConfig(AppConfig):
    name = "cmms_sync"
    verbose_name = "CMMS sync"
    default_auto_field = "django.db.models.BigAutoField"
    # Extra permissions of each role in this app (patterns over codenames); see core.roles.
    # Managers write connections and start runs (core.roles gives managers all); planners
    # read connections, mappings and runs and may start a sync; nobody else sees them.
    role_permissions: dict[str, list[str]] = {"planner": ["view_*", "sync_connection"]}

    def ready(self) -> None:
        # Runs are sent by task name through Celery's registry (services.runs); the web
        # process must know the task too.
        from cmms_sync import tasks  # noqa: F401

    def seed_demo(self, stdout: Any) -> None:
        from cmms_sync.services.connections import seed_demo_connection

        seed_demo_connection(stdout=stdout)
