from django.apps import AppConfig


class CmmsSyncConfig(AppConfig):
    name = "cmms_sync"
    verbose_name = "CMMS sync"
    default_auto_field = "django.db.models.BigAutoField"
    # Extra permissions of each role in this app (patterns over codenames); see core.roles.
    role_permissions: dict[str, list[str]] = {}
