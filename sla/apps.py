from typing import Any

from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "Service levels"
    default_auto_field = "django.db.models.BigAutoField"
    # Extra permissions of each role in this app (patterns over codenames); see core.roles.
    # The team reads policies and violations (view_*, from core); requesters may read the
    # policies too, so they know what response to expect. Only managers write.
    role_permissions: dict[str, list[str]] = {"requester": ["view_policy"]}

    def seed_demo(self, stdout: Any) -> None:
        from sla.services.policies import seed_demo_policies

        seed_demo_policies(stdout=stdout)
