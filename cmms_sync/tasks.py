from typing import Any

from celery import shared_task

from cmms_sync.services.runs import run_execute, runs_due


@shared_task(name="cmms_sync.tasks.run_sync", ignore_result=True)
def run_sync(run_id: int) -> str | None:
    """Carry out one run. A redelivered message of a finished run changes nothing."""
    run = run_execute(run_id)
    return run.status if run is not None else None


@shared_task(name="cmms_sync.tasks.schedule_due", ignore_result=True)
def schedule_due(run_key: str | None = None) -> dict[str, Any]:
    """Queue a run of each connection of this tenant that its schedule says is due
    (one beat entry fans this out to every tenant)."""
    return {"queued": len(runs_due())}
