from typing import Any

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"
    default_auto_field = "django.db.models.BigAutoField"
    # Extra permissions of each role in this app (patterns over codenames); see core.roles.
    # Managers and planners hold every inventory permission and everyone but requesters
    # reads; technicians also record usage and returns (not restock, adjust or approve).
    role_permissions: dict[str, list[str]] = {"technician": ["record_usage"]}

    def seed_demo(self, stdout: Any) -> None:
        """Storerooms, vendors, a few hundred parts with stock, purchase orders (idempotent)."""
        from inventory.seed import seed_demo

        seed_demo(stdout=stdout)
