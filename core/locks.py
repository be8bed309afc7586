"""Advisory locks of one tenant: a job or a record that must be worked on by one
process at a time.

Advisory locks are database-wide, so every key carries the tenant's schema: two
tenants' jobs of the same name never wait for each other.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def _key(name: str) -> str:
    return f"{connection.schema_name}:{name}"


def tenant_transaction_lock(name: str) -> None:
    """Serialise one kind of work within this tenant until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_key(name)])


@contextmanager
def tenant_session_lock(name: str) -> Iterator[bool]:
    """Hold ``name`` across transactions while the block runs, without waiting: yields
    whether it was free. Held by the database session, so a process that dies lets go
    of it with its connection, and another may take the work over."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [_key(name)])
        taken = bool(cursor.fetchone()[0])
    try:
        yield taken
    finally:
        if taken:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [_key(name)])
