"""Small adjustments that make Django's process-wide caches safe across schemas."""

from typing import Any

from django.db import connection


class SchemaScopedCache(dict):
    """ContentType's cache, keyed by schema as well as database alias.

    Django caches content types per database alias. With a schema per tenant
    the same alias serves schemas whose content type ids differ (public and
    the tenants), so an id cached in one schema would be used in another.
    """

    def _key(self, alias: Any) -> tuple[Any, str]:
        return (alias, getattr(connection, "schema_name", "public"))

    def __getitem__(self, alias: Any) -> Any:
        return super().__getitem__(self._key(alias))

    def __contains__(self, alias: object) -> bool:
        return super().__contains__(self._key(alias))

    def get(self, alias: Any, default: Any = None) -> Any:
        return super().get(self._key(alias), default)

    def setdefault(self, alias: Any, default: Any = None) -> Any:
        return super().setdefault(self._key(alias), default)


def scope_content_type_cache() -> None:
    from django.contrib.contenttypes.models import ContentType

    if not isinstance(ContentType.objects._cache, SchemaScopedCache):
        ContentType.objects._cache = SchemaScopedCache()
