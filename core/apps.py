from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections
    from django_tenants.utils import get_public_schema_name

    from core.services import roles_sync

    # Platform staff in public are superusers; roles belong to tenant schemas.
    if connections[using].schema_name == get_public_schema_name():
        return
    roles_sync()


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts and audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.admin import hide_token_tables
        from core.auth import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from core.observability import metrics  # noqa: F401  (registers the collectors)
        from core.reactions import load_reactions
        from core.tenancy import scope_content_type_cache

        scope_content_type_cache()
        load_reactions()
        # Runs after the admin's autodiscovery, which comes earlier in INSTALLED_APPS.
        hide_token_tables()
        # roles_sync creates every app's permissions itself, so core's signal is enough.
        post_migrate.connect(_sync_roles_after_migrate, sender=self, dispatch_uid="core.roles_sync")
