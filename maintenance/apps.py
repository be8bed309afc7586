from typing import Any

from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = "Maintenance"
    default_auto_field = "django.db.models.BigAutoField"
    # Planners hold everything here (core's rule). Technicians work the orders assigned
    # to them (checked per object) and report problems; requesters report problems.
    role_permissions: dict[str, list[str]] = {
        "technician": [
            "change_workorder",
            "start_workorder",
            "complete_workorder",
            "change_workorderstep",
            "add_laborentry",
            "add_comment",
            "add_attachment",
            "add_workrequest",
        ],
        "requester": ["add_workrequest", "view_workrequest", "view_attachment"],
    }

    def seed_demo(self, stdout: Any) -> None:
        from maintenance.demo import seed_demo_work
        from maintenance.pm.demo import seed_demo_programme

        seed_demo_work(stdout=stdout)
        seed_demo_programme(stdout=stdout)
