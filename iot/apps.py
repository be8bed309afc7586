from django.apps import AppConfig


class IotConfig(AppConfig):
    name = "iot"
    verbose_name = "IoT"
    default_auto_field = "django.db.models.BigAutoField"
    # Extra permissions of each role in this app (patterns over codenames); see core.roles.
    role_permissions: dict[str, list[str]] = {}
