from typing import Any

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"
    # Managers hold everything. Planners and viewers read the figures and budgets;
    # technicians read how the devices perform; requesters read none of it.
    role_permissions: dict[str, list[str]] = {
        "planner": ["view_analytics", "view_device_performance", "view_budget"],
        "viewer": ["view_analytics", "view_device_performance", "view_budget"],
        "technician": ["view_device_performance"],
    }

    def seed_demo(self, stdout: Any) -> None:
        from analytics.demo import seed_demo_budgets

        seed_demo_budgets(stdout=stdout)
