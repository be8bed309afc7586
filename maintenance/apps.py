from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "maintenance"
    verbose_name = "Maintenance"
    default_auto_field = "django.db.models.BigAutoField"
    # Extra permissions of each role in this app (patterns over codenames); see core.roles.
    role_permissions: dict[str, list[str]] = {}
