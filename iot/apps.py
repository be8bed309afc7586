from typing import Any

from django.apps import AppConfig


class IotConfig(AppConfig):
    name = "iot"
    verbose_name = "IoT"
    default_auto_field = "django.db.models.BigAutoField"
    # Extra permissions of each role in this app (patterns over codenames); see core.roles.
    # The team reads everything (view_*, from core). Technicians and above post readings
    # and run diagnostics; planners also make and revoke device tokens; managers do all.
    role_permissions: dict[str, list[str]] = {
        "technician": ["record_metrics", "add_diagnosticrun"],
        "planner": [
            "record_metrics",
            "add_diagnosticrun",
            "add_devicetoken",
            "delete_devicetoken",
            "train_predictionmodel",
        ],
    }

    def seed_demo(self, stdout: Any) -> None:
        from iot.demo import seed_demo_readings

        seed_demo_readings(stdout=stdout)
