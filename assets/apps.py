from typing import Any

from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = "Assets"
    default_auto_field = "django.db.models.BigAutoField"
    # Beyond core's defaults (viewers, technicians and planners read; planners write):
    # technicians record what they see on the floor, requesters may pick an asset.
    role_permissions: dict[str, list[str]] = {
        "technician": [
            "add_performancerecord",
            "add_meterreading",
            "add_conditionassessment",
            "add_failure",
            "add_assetlocationchange",
            "acknowledge_alert",
            "resolve_alert",
        ],
        "requester": ["view_asset", "view_location"],
    }

    def seed_demo(self, stdout: Any) -> None:
        from assets.demo import seed_demo_plant

        seed_demo_plant(stdout=stdout)
