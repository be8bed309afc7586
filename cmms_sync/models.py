"""Connections to other CMMS products, how their fields map onto ours, and sync runs."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from cmms_sync.choices import (
    OPEN_RUN_STATUSES,
    CmmsType,
    Direction,
    Entity,
    Health,
    RunEntity,
    RunStatus,
    Transform,
)
from core.crypto import EncryptedJSONField


class Connection(models.Model):
    """Another CMMS product this tenant exchanges records with.

    ``credentials`` are kept encrypted and never leave the product again (no
    endpoint, admin page or log line shows them). ``watermarks`` hold, per kind of
    record, the vendor's ``updated_at`` of the last record a successful pull saw;
    the next pull asks only for what changed from there.
    """

    cmms_type = models.CharField(max_length=20, choices=CmmsType.choices)
    connection_name = models.CharField(max_length=100)
    api_url = models.URLField(max_length=500)
    credentials = EncryptedJSONField(default=dict)
    options = models.JSONField(default=dict, blank=True)
    direction = models.CharField(max_length=5, choices=Direction.choices, default=Direction.PULL)
    schedule_minutes = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    watermarks = models.JSONField(default=dict, blank=True, editable=False)
    last_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_pushed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the scheduler last queued a run of this connection (schedule_minutes apart).
    last_scheduled_at = models.DateTimeField(null=True, blank=True, editable=False)
    health = models.CharField(
        max_length=10, choices=Health.choices, default=Health.UNKNOWN, editable=False
    )
    health_detail = models.CharField(max_length=500, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["connection_name", "id"]
        permissions = [("sync_connection", "Can start a sync of a connection")]
        constraints = [
            models.CheckConstraint(
                condition=Q(schedule_minutes__lte=7 * 24 * 60),
                name="cmms_sync_connection_schedule_at_most_a_week",
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection_name} ({self.get_cmms_type_display()})"

    def ref_prefix(self) -> str:
        """The start of every ``external_ref`` this connection writes."""
        return f"{self.cmms_type}:{self.pk}:"


class FieldMapping(models.Model):
    """Where one of our fields comes from in the vendor's record (and goes back on push).

    A connection's mappings of an entity replace the adapter's default for the
    same internal field; the other defaults stay.
    """

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="field_mappings"
    )
    entity = models.CharField(max_length=12, choices=Entity.choices)
    external_field = models.CharField(max_length=100)
    internal_field = models.CharField(max_length=50)
    transform = models.CharField(max_length=10, choices=Transform.choices, default=Transform.NONE)
    # The table of a ``map`` transform: vendor value -> our value.
    map = models.JSONField(default=dict, blank=True)
    required = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["connection", "entity", "internal_field", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "entity", "internal_field"],
                name="cmms_sync_mapping_one_source_per_field",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity}.{self.internal_field} <- {self.external_field}"


class SyncRun(models.Model):
    """One synchronisation of a connection: queued, running, then how it ended.

    The database holds at most one queued or running run per connection, so two
    requests (or a request and the scheduler) can never run one connection twice
    at once. ``counts`` grow while it runs; ``errors`` name each failed record.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    entity = models.CharField(max_length=12, choices=RunEntity.choices)
    direction = models.CharField(max_length=5, choices=Direction.choices)
    force_sync = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    counts = models.JSONField(default=dict)
    errors = models.JSONField(default=list)
    detail = models.CharField(max_length=1000, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(status__in=OPEN_RUN_STATUSES),
                name="cmms_sync_one_open_run_per_connection",
            )
        ]

    def __str__(self) -> str:
        return f"Sync #{self.pk} of {self.connection_id} ({self.status})"


class SyncLink(models.Model):
    """One of our records as a connection last exchanged it.

    ``local_updated_at`` is our record's ``updated_at`` right after the exchange:
    a later ``updated_at`` is a change of ours (to push); the same one means the
    record still holds what the vendor sent, so it is not echoed back.

    A pending creation has no ``external_id`` yet and a ``create_started_at``: it is
    written, and committed, before the vendor is asked to create the record, so a run
    that dies before it hears the vendor's id leaves a trace. The next push (or pull)
    looks for the record by the number we put on it instead of creating it again;
    ``local_updated_at`` is then the state that was sent.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="links")
    entity = models.CharField(max_length=12, choices=Entity.choices)
    object_id = models.BigIntegerField()
    external_id = models.CharField(max_length=100, blank=True)
    local_updated_at = models.DateTimeField()
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    create_started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["connection", "entity", "object_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "entity", "object_id"], name="cmms_sync_link_once"
            )
        ]
        indexes = [models.Index(fields=["connection", "entity", "external_id"])]

    def __str__(self) -> str:
        return f"{self.entity} {self.object_id} = {self.external_id}"
