from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"
    default_auto_field = "django.db.models.BigAutoField"
    # Extra permissions of each role in this app (patterns over codenames); see core.roles.
    role_permissions: dict[str, list[str]] = {}
