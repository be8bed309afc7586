"""What the IoT app keeps beside the readings themselves.

Readings live in ``iot_reading``, a table partitioned by month and written with
``COPY`` (see ``iot.partitions`` and the migration that creates it); Django has no
model for it because no code path handles one reading as an object. What is
kept here is small and per device: the tokens devices sign in with, one stream
per (device, metric) holding the latest reading and the online anomaly state,
the anomalies found, and the diagnostics run.
"""

from django.conf import settings
from django.db import models

from assets.models import Asset
from iot.choices import AnomalyStatus, DiagnosticResult, ModelStatus, TestType


class DeviceToken(models.Model):
    """A secret one device signs its readings with. Only its SHA-256 is stored: the
    token is shown once, when it is made. Revoking keeps the row for the record."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="device_tokens")
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters, so a person can tell tokens apart without the secret.
    prefix = models.CharField(max_length=16, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.asset.asset_id} {self.prefix}…"


class Anomaly(models.Model):
    """One episode of a metric of a device leaving its usual range.

    ``value`` is the reading that opened the episode, ``expected`` the running
    mean then and ``score`` how many standard deviations apart they were. The
    episode closes after ``IOT_EPISODE_CLEAR_READINGS`` normal readings in a row.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="anomalies")
    metric = models.CharField(max_length=64)
    value = models.FloatField()
    expected = models.FloatField()
    score = models.FloatField()
    detected_at = models.DateTimeField(db_index=True)
    reading_timestamp = models.DateTimeField()
    status = models.CharField(
        max_length=8, choices=AnomalyStatus.choices, default=AnomalyStatus.OPEN, db_index=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reading_timestamp", "-id"]
        verbose_name_plural = "anomalies"
        indexes = [models.Index(fields=["asset", "metric", "reading_timestamp"])]

    def __str__(self) -> str:
        return f"{self.asset.asset_id} {self.metric} at {self.reading_timestamp:%Y-%m-%d %H:%M}"


class MetricStream(models.Model):
    """The readings of one metric of one device, summed up: the latest reading and the
    state of online anomaly detection (an exponentially weighted mean and variance),
    updated once per ingested batch so detection never re-reads history."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="metric_streams")
    metric = models.CharField(max_length=64)
    unit = models.CharField(max_length=32, blank=True)
    last_value = models.FloatField()
    # Not indexed: every batch moves it, and an index on it would keep PostgreSQL from
    # updating the row in place (a HOT update); the table holds one row per stream.
    last_reading_at = models.DateTimeField()
    readings = models.BigIntegerField(default=0)
    # Detection state: readings seen in order, their weighted mean and variance, and
    # how many normal readings in a row since the last anomalous one.
    seen = models.BigIntegerField(default=0)
    mean = models.FloatField(default=0)
    variance = models.FloatField(default=0)
    normal_streak = models.IntegerField(default=0)
    open_anomaly = models.ForeignKey(
        Anomaly, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["asset_id", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "metric"], name="iot_stream_one_per_metric")
        ]
        permissions = [("record_metrics", "Can post metric readings")]

    def __str__(self) -> str:
        return f"{self.asset.asset_id} {self.metric}"


class DiagnosticRun(models.Model):
    """A diagnostic test run on an asset's recent readings, and what it found."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="diagnostic_runs")
    test_type = models.CharField(max_length=12, choices=TestType.choices)
    parameters = models.JSONField(default=dict, blank=True)
    result = models.CharField(max_length=8, choices=DiagnosticResult.choices)
    score = models.PositiveSmallIntegerField()
    findings = models.JSONField(default=list, blank=True)
    ran_at = models.DateTimeField(db_index=True)
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-ran_at", "-id"]

    def __str__(self) -> str:
        return f"{self.asset.asset_id} {self.test_type} {self.result}"


class PredictionModel(models.Model):
    """A remaining-life model trained on this tenant's own readings and failures.

    Each training is a new version; the newest ready one answers health and the
    predictive job, and a failed training leaves it in place. ``blob`` is the fitted
    learner, signed (see ``iot.prediction.learner.dumps``) so that altered bytes are
    refused, not loaded.
    """

    version = models.PositiveIntegerField(default=0, editable=False)
    status = models.CharField(
        max_length=8, choices=ModelStatus.choices, default=ModelStatus.TRAINING, db_index=True
    )
    error = models.TextField(blank=True)
    target = models.CharField(max_length=32, default="days to failure", editable=False)
    trained_at = models.DateTimeField(null=True, blank=True)
    assets = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    samples = models.PositiveIntegerField(default=0)
    features = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=list, blank=True)
    validation = models.JSONField(default=dict, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    train_seconds = models.FloatField(null=True, blank=True)
    blob = models.BinaryField(null=True, blank=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("train_predictionmodel", "Can train prediction models")]
        indexes = [models.Index(fields=["status", "-trained_at"], name="iot_model_ready_newest")]

    def __str__(self) -> str:
        return f"Model v{self.version} ({self.status})"
