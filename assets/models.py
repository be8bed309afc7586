"""The asset register: places, assets and their hierarchy, measurements and alerts."""

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from assets.choices import (
    ACTIVE_ALERT_STATUSES,
    AlertSource,
    AlertStatus,
    AssetStatus,
    AssetType,
    Condition,
    Criticality,
    LocationKind,
    MeterKind,
    Operator,
    Severity,
)

ASSET_ID_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    "Use up to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.",
)


def new_request_token() -> str:
    return secrets.token_urlsafe(24)


class Location(models.Model):
    """A place: site > building > floor > room (or any area), with optional GPS position.

    ``path`` keeps the full name ("Main Plant / Building A / Floor 2") so lists
    can show where things are without walking the tree.
    """

    kind = models.CharField(max_length=16, choices=LocationKind.choices, default=LocationKind.AREA)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=1000, editable=False, db_index=True)
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    zone = models.CharField(max_length=100, blank=True)
    department = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="assets_location_unique_name_in_parent",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return self.path or self.name


class Asset(models.Model):
    """A thing the team maintains. ``asset_id`` is the tenant's own code for it."""

    asset_id = models.CharField(max_length=64, unique=True, validators=[ASSET_ID_VALIDATOR])
    name = models.CharField(max_length=200)
    asset_type = models.CharField(max_length=20, choices=AssetType.choices, db_index=True)
    status = models.CharField(
        max_length=20, choices=AssetStatus.choices, default=AssetStatus.OPERATIONAL, db_index=True
    )
    condition = models.CharField(
        max_length=12, choices=Condition.choices, default=Condition.GOOD, db_index=True
    )
    criticality = models.CharField(
        max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM, db_index=True
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="assets"
    )
    description = models.TextField(blank=True)
    manufacturer = models.CharField(max_length=200, blank=True)
    model = models.CharField(max_length=200, blank=True)
    serial_number = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=100, blank=True, db_index=True)
    responsible_person = models.CharField(max_length=200, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    specifications = models.JSONField(default=dict, blank=True)
    install_date = models.DateField(null=True, blank=True)
    purchase_cost = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    # Printed on the asset's QR label: opens its public request form, reveals nothing else.
    request_token = models.CharField(
        max_length=64, unique=True, default=new_request_token, editable=False
    )
    # The record this asset is in another CMMS (``<type>:<connection>:<id>``), when synced.
    external_ref = models.CharField(max_length=100, blank=True, editable=False, db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["asset_id"]
        indexes = [GinIndex(fields=["tags"], name="assets_asset_tags_gin")]
        constraints = [
            # "PUMP-1" and "pump-1" would be the same label on the shop floor.
            models.UniqueConstraint(Upper("asset_id"), name="assets_asset_id_unique_ignoring_case"),
            models.UniqueConstraint(
                fields=["external_ref"],
                condition=~models.Q(external_ref=""),
                name="assets_asset_unique_external_ref",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.name}"


class AssetLocationChange(models.Model):
    """An asset moved to a place (its location history)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="location_changes")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    previous_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moved_at = models.DateTimeField(db_index=True)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    zone = models.CharField(max_length=100, blank=True)
    department = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-moved_at", "-id"]

    def __str__(self) -> str:
        return f"{self.asset_id} -> {self.location} at {self.moved_at:%Y-%m-%d %H:%M}"


class AssetDowntime(models.Model):
    """A period an asset spent in maintenance or repair (open while ``ended_at`` is null)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="downtimes")
    status = models.CharField(max_length=20, choices=AssetStatus.choices)
    started_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"],
                condition=Q(ended_at__isnull=True),
                name="assets_downtime_one_open_per_asset",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="assets_downtime_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} down from {self.started_at:%Y-%m-%d %H:%M}"


def _metric_field(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True, **kwargs)  # type: ignore[arg-type]


class PerformanceRecord(models.Model):
    """A snapshot of how an asset is running; readings past thresholds raise alerts."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="performance_records")
    recorded_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uptime_percentage = _metric_field(validators=[MinValueValidator(0), MaxValueValidator(100)])
    efficiency_rating = _metric_field(validators=[MinValueValidator(0), MaxValueValidator(100)])
    throughput = _metric_field(validators=[MinValueValidator(0)])
    energy_consumption = _metric_field(validators=[MinValueValidator(0)])
    temperature = _metric_field()
    vibration = _metric_field(validators=[MinValueValidator(0)])
    pressure = _metric_field()
    speed = _metric_field(validators=[MinValueValidator(0)])
    load_percentage = _metric_field(validators=[MinValueValidator(0), MaxValueValidator(1000)])
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    maintenance_hours = _metric_field(validators=[MinValueValidator(0)])
    cost_per_hour = _metric_field(validators=[MinValueValidator(0)])
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["asset", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.asset_id} performance at {self.recorded_at:%Y-%m-%d %H:%M}"


class ConditionAssessment(models.Model):
    """A person's judgement of an asset's condition; the latest one is the asset's condition."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="condition_assessments")
    condition = models.CharField(max_length=12, choices=Condition.choices)
    score = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="0 (failed) to 100 (as new)",
    )
    assessed_at = models.DateTimeField(db_index=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.condition} at {self.assessed_at:%Y-%m-%d}"


class Threshold(models.Model):
    """A limit on a metric that raises an alert when a reading passes it.

    Scope: one asset, every asset of a type, or (neither set) every asset of the
    tenant. For a given metric the most specific scope that has thresholds wins.
    """

    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.CASCADE, related_name="thresholds"
    )
    asset_type = models.CharField(max_length=20, choices=AssetType.choices, blank=True)
    metric = models.CharField(max_length=64)
    operator = models.CharField(max_length=4, choices=Operator.choices)
    value = models.DecimalField(max_digits=16, decimal_places=4)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["metric", "asset_type", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(asset__isnull=True) | Q(asset_type=""),
                name="assets_threshold_one_scope",
            ),
            models.UniqueConstraint(
                fields=["asset", "asset_type", "metric", "operator", "severity"],
                name="assets_threshold_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        scope = self.asset.asset_id if self.asset_id else (self.asset_type or "all assets")
        return (
            f"{scope}: {self.metric} {self.get_operator_display()} {self.value} ({self.severity})"
        )


class Alert(models.Model):
    """A reading past a threshold (or a condition someone flagged) that needs attention.

    While an alert is open or acknowledged, the same condition (asset, metric,
    threshold) raises no second one; a database constraint holds that even when
    readings arrive concurrently. Repeats bump ``occurrences`` instead.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="alerts")
    threshold = models.ForeignKey(
        Threshold, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    metric = models.CharField(max_length=64)
    severity = models.CharField(max_length=10, choices=Severity.choices, db_index=True)
    status = models.CharField(
        max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True
    )
    source = models.CharField(
        max_length=12, choices=AlertSource.choices, default=AlertSource.PERFORMANCE
    )
    message = models.CharField(max_length=500)
    value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    threshold_value = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    operator = models.CharField(max_length=4, choices=Operator.choices, blank=True)
    # The reading behind the alert (a performance record, meter reading, ... by source).
    reading_id = models.BigIntegerField(null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    raised_at = models.DateTimeField(db_index=True)
    last_seen_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        permissions = [
            ("acknowledge_alert", "Can acknowledge alerts"),
            ("resolve_alert", "Can resolve alerts"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "metric", "source"],
                condition=Q(status__in=ACTIVE_ALERT_STATUSES),
                name="assets_alert_one_active_per_condition",
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.severity}: {self.message}"


class Meter(models.Model):
    """Something counted on an asset: running hours, cycles, kilometres, ...

    A cumulative meter only goes up; a lower reading is refused unless it is
    marked as a reset (a replaced counter). Usage-based PM reads these.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="meters")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=MeterKind.choices, default=MeterKind.HOURS)
    unit = models.CharField(max_length=20)
    cumulative = models.BooleanField(default=True)
    current_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    last_reading_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["asset_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "name"], name="assets_meter_unique_name_per_asset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.name} ({self.unit})"


class MeterReading(models.Model):
    """One reading of a meter; ``delta`` is the usage since the previous reading."""

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="readings")
    value = models.DecimalField(max_digits=18, decimal_places=4)
    delta = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    is_reset = models.BooleanField(default=False)
    reading_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=20, default="manual")
    notes = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reading_at", "-id"]
        indexes = [models.Index(fields=["meter", "-reading_at"])]

    def __str__(self) -> str:
        return f"{self.meter} = {self.value} at {self.reading_at:%Y-%m-%d %H:%M}"


class Failure(models.Model):
    """The moment an asset stopped doing its job.

    Failures are what MTBF, device health and the remaining-life model learn
    from, so they are kept per asset in time order (one index serves "this
    asset's failures in this period"). A failure found by a corrective or
    emergency work order names it by id (maintenance, above the register, holds
    the constraint); each work order records at most one.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="failures")
    occurred_at = models.DateTimeField()
    failure_mode = models.CharField(max_length=200, blank=True)
    cause = models.TextField(blank=True)
    remedy = models.TextField(blank=True)
    downtime_hours = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    work_order_id = models.BigIntegerField(
        null=True, blank=True, help_text="The work order that dealt with it."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["asset", "occurred_at"], name="assets_failure_asset_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order_id"],
                condition=Q(work_order_id__isnull=False),
                name="assets_failure_once_per_work_order",
            )
        ]

    def __str__(self) -> str:
        what = self.failure_mode or "failure"
        return f"{self.asset_id} {what} at {self.occurred_at:%Y-%m-%d %H:%M}"
