"""What the sync app tells the world: ``sync:completed`` carries the run as the API shows it."""

from typing import Any

from cmms_sync.choices import COUNT_KEYS
from cmms_sync.models import SyncRun
from core.events import publish

COMPLETED = "sync:completed"

RUN_FIELDS = (
    "id",
    "connection",
    "status",
    "entity",
    "direction",
    "force_sync",
    "started_at",
    "finished_at",
    "counts",
    "errors",
    "detail",
    "created_at",
)


def run_payload(run: SyncRun) -> dict[str, Any]:
    """A run as ``GET /api/v1/cmms/sync-runs/{id}/`` returns it."""
    return {
        "id": run.pk,
        "connection": run.connection_id,
        "status": run.status,
        "entity": run.entity,
        "direction": run.direction,
        "force_sync": run.force_sync,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "counts": {key: (run.counts or {}).get(key, 0) for key in COUNT_KEYS},
        "errors": run.errors,
        "detail": run.detail,
        "created_at": run.created_at,
    }


def announce_run(run: SyncRun) -> None:
    """``sync:completed`` once the run's end is committed."""
    publish(COMPLETED, run_payload(run))
