from typing import Any

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"
    # Channels and their deliveries are the managers' alone (core.roles gives managers all).
    role_permissions: dict[str, list[str]] = {}

    def ready(self) -> None:
        # Every process that records deliveries sends their task by name through Celery's
        # registry (notifications.services.deliveries); the web process must know it too.
        from notifications import tasks  # noqa: F401

    def seed_demo(self, stdout: Any) -> None:
        from notifications.services.channels import seed_demo_channels

        seed_demo_channels(stdout=stdout)
