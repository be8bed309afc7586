from django.db import models


class CmmsType(models.TextChoices):
    UPKEEP = "upkeep", "UpKeep"
    FIIX = "fiix", "Fiix"
    MAXIMO = "maximo", "IBM Maximo"
    MAINTAINX = "maintainx", "MaintainX"
    GENERIC_REST = "generic_rest", "Generic REST"


class Direction(models.TextChoices):
    PULL = "pull", "Pull (theirs to ours)"
    PUSH = "push", "Push (ours to theirs)"
    BOTH = "both", "Both ways"


class Entity(models.TextChoices):
    """What a field mapping describes: one kind of record."""

    WORK_ORDER = "work_order", "Work order"
    ASSET = "asset", "Asset"
    SCHEDULE = "schedule", "PM schedule"


class RunEntity(models.TextChoices):
    """What a run synchronises (``all`` is every kind the connection's adapter knows)."""

    WORK_ORDERS = "work_orders", "Work orders"
    ASSETS = "assets", "Assets"
    SCHEDULES = "schedules", "PM schedules"
    ALL = "all", "All"


RUN_ENTITY_KINDS: dict[str, tuple[str, ...]] = {
    RunEntity.WORK_ORDERS: (Entity.WORK_ORDER,),
    RunEntity.ASSETS: (Entity.ASSET,),
    RunEntity.SCHEDULES: (Entity.SCHEDULE,),
    # Assets first: work orders pulled afterwards can then name them.
    RunEntity.ALL: (Entity.ASSET, Entity.WORK_ORDER, Entity.SCHEDULE),
}


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    PARTIAL = "partial", "Partial (some records failed)"


OPEN_RUN_STATUSES: tuple[str, ...] = (RunStatus.QUEUED, RunStatus.RUNNING)


class Transform(models.TextChoices):
    NONE = "none", "As is"
    LOWER = "lower", "Lower case"
    UPPER = "upper", "Upper case"
    MAP = "map", "Translate with a table"
    DATE_MS = "date_ms", "Epoch milliseconds <-> date-time"
    NUMBER = "number", "Number"


class Health(models.TextChoices):
    UNKNOWN = "unknown", "Not checked yet"
    OK = "ok", "OK"
    FAILING = "failing", "Failing"


# The counts of a run, in the order they are shown.
COUNT_KEYS: tuple[str, ...] = ("created", "updated", "skipped", "failed", "pushed")
