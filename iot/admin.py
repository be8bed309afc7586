"""IoT in the tenant admin: devices' latest readings, anomalies, diagnostics, device
tokens (never the token itself), remaining-life models (with their validation figures
and a "train now"), and on the asset's page its predicted failure date and a chart of
each metric.

The chart is SVG drawn on the server from hourly buckets computed in SQL: no
script, no CDN, and it prints.
"""

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from assets.admin import AssetAdmin, ReadOnlyInline
from assets.models import Asset
from core.admin import ReadOnlyAdmin
from core.admin_tools import ThemedAdmin, apply_each
from iot import selectors
from iot.health import device_health
from iot.models import Anomaly, DeviceToken, DiagnosticRun, MetricStream, PredictionModel
from iot.services import prediction, tokens

CHART_DAYS = 7
CHART_METRICS = 4
WIDTH, HEIGHT, PAD = 560, 120, 4


def metric_chart_svg(metric: str, unit: str, buckets: list[dict[str, Any]]) -> SafeString:
    """A line of hourly averages within a band from the hourly minimum to maximum."""
    if not buckets:
        return format_html("<p>{}: no readings in the last {} days.</p>", metric, CHART_DAYS)
    low = min(bucket["min"] for bucket in buckets)
    high = max(bucket["max"] for bucket in buckets)
    span = (high - low) or 1.0
    first = buckets[0]["bucket_start"]
    seconds = max((buckets[-1]["bucket_start"] - first).total_seconds(), 1.0)

    def x(bucket: dict[str, Any]) -> float:
        return PAD + (bucket["bucket_start"] - first).total_seconds() / seconds * (WIDTH - 2 * PAD)

    def y(value: float) -> float:
        return HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD)

    line = " ".join(f"{x(b):.1f},{y(b['avg']):.1f}" for b in buckets)
    band = " ".join(
        [f"{x(b):.1f},{y(b['max']):.1f}" for b in buckets]
        + [f"{x(b):.1f},{y(b['min']):.1f}" for b in reversed(buckets)]
    )
    # Only numbers go into the drawing; the metric's name and unit are escaped below.
    drawing = mark_safe(  # noqa: S308
        f'<polygon points="{band}" fill="#79aec8" fill-opacity="0.3" stroke="none"/>'
        f'<polyline points="{line}" fill="none" stroke="#417690" stroke-width="1.5"/>'
    )
    return format_html(
        '<figure style="margin:0 0 1em 0"><figcaption><strong>{}</strong> ({}) '
        "min {} max {}, hourly, last {} days</figcaption>"
        '<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" '
        'role="img" aria-label="{}" style="background:#f8f8f8;border:1px solid #ddd">{}</svg>'
        "</figure>",
        metric,
        unit or "-",
        f"{low:g}",
        f"{high:g}",
        CHART_DAYS,
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        f"{metric} over the last {CHART_DAYS} days",
        drawing,
    )


class MetricStreamInline(ReadOnlyInline):
    model = MetricStream
    fields = ("metric", "last_value", "unit", "last_reading_at", "readings", "open_anomaly")
    readonly_fields = fields
    verbose_name_plural = "latest readings (IoT)"
    show_change_link = False


class AssetWithReadingsAdmin(AssetAdmin):
    """The asset's page, with its metrics' latest readings and their charts."""

    inlines = [*AssetAdmin.inlines, MetricStreamInline]
    readonly_fields = (*AssetAdmin.readonly_fields, "predicted_failure", "readings_chart")
    fieldsets = (
        *AssetAdmin.fieldsets,
        ("Readings (IoT)", {"fields": ("predicted_failure", "readings_chart")}),
    )

    @admin.display(description="Predicted failure")
    def predicted_failure(self, obj: Asset) -> str:
        if not obj.pk:
            return "-"
        health = device_health(obj)
        days = health["predicted_failure_within_days"]
        if days is None:
            return "No prediction (no ready model, or no readings)."
        on = health["as_of"] + timedelta(days=days)
        return (
            f"{on:%Y-%m-%d} ({days:g} days after the latest reading, model "
            f"{health['model']}; health {health['health_score']}, risk {health['risk_level']})"
        )

    @admin.display(description="Charts")
    def readings_chart(self, obj: Asset) -> SafeString:
        if not obj.pk:
            return mark_safe("-")
        end = timezone.now()
        start = end - timedelta(days=CHART_DAYS)
        streams = list(selectors.latest_streams(obj).order_by("-last_reading_at")[:CHART_METRICS])
        if not streams:
            return mark_safe("No readings yet.")
        return format_html_join(
            "",
            "{}",
            (
                (
                    metric_chart_svg(
                        stream.metric,
                        stream.unit,
                        selectors.metric_series(
                            asset=obj,
                            metric=stream.metric,
                            start=start,
                            end=end,
                            width=timedelta(hours=1),
                        ),
                    ),
                )
                for stream in streams
            ),
        )


# The asset page as the apps below iot left it (maintenance adds the work order history
# to the registered admin), with the readings added.
AssetWithReadingsAdmin.inlines = [*admin.site._registry[Asset].inlines, MetricStreamInline]
admin.site.unregister(Asset)
admin.site.register(Asset, AssetWithReadingsAdmin)


@admin.register(MetricStream)
class MetricStreamAdmin(ReadOnlyAdmin):
    """Each device's metrics with their latest reading."""

    list_display = ("asset", "metric", "last_value", "unit", "last_reading_at", "readings")
    list_filter = ("metric",)
    search_fields = ("asset__asset_id", "asset__name", "metric")
    list_select_related = ("asset",)
    date_hierarchy = "last_reading_at"
    exclude = ("seen", "mean", "variance", "normal_streak")


@admin.register(Anomaly)
class AnomalyAdmin(ReadOnlyAdmin):
    list_display = (
        "reading_timestamp",
        "asset",
        "metric",
        "value",
        "expected",
        "score",
        "status",
        "closed_at",
    )
    list_filter = ("status", "metric", "detected_at")
    search_fields = ("asset__asset_id", "asset__name", "metric")
    list_select_related = ("asset",)
    date_hierarchy = "reading_timestamp"


@admin.register(DiagnosticRun)
class DiagnosticRunAdmin(ReadOnlyAdmin):
    list_display = ("ran_at", "asset", "test_type", "result", "score", "ran_by")
    list_filter = ("test_type", "result")
    search_fields = ("asset__asset_id", "asset__name")
    list_select_related = ("asset", "ran_by")
    date_hierarchy = "ran_at"


@admin.action(description="Revoke the selected tokens")
def revoke(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    apply_each(
        modeladmin,
        request,
        queryset.filter(revoked_at__isnull=True),
        lambda token: tokens.device_token_revoke(by=request.user, token=token),
        "Revoked",
    )


@admin.register(DeviceToken)
class DeviceTokenAdmin(ThemedAdmin):
    """Tokens are made here (shown once, in the message after saving) and revoked with
    the action; the secret itself is never stored nor shown again."""

    list_display = ("asset", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("asset__asset_id", "name", "prefix")
    list_select_related = ("asset",)
    autocomplete_fields = ("asset",)
    actions = [revoke]
    fields = ("asset", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("asset", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.fields if obj is None else self.get_readonly_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not request.user.has_perm("iot.delete_devicetoken"):
            actions.pop("revoke", None)
        return actions

    def save_model(self, request: HttpRequest, obj: DeviceToken, form: Any, change: bool) -> None:
        token, raw = tokens.device_token_create(by=request.user, asset=obj.asset, name=obj.name)
        obj.pk = token.pk
        self.message_user(
            request,
            f"Token for {token.asset.asset_id} (copy it now, it is not shown again): {raw}",
            messages.WARNING,
        )


@admin.action(description="Train a new model version now")
def train_now(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    record = prediction.prediction_model_request(by=request.user)
    modeladmin.message_user(request, f"Training model version {record.version} queued.")


@admin.register(PredictionModel)
class PredictionModelAdmin(ThemedAdmin):
    """Remaining-life model versions with their validation figures. "Add" trains a new
    version now (nothing to fill in: the tenant's readings and failures decide), as does
    the action; versions are never edited."""

    list_display = (
        "version",
        "status",
        "trained_at",
        "assets",
        "failures",
        "samples",
        "rmse_days",
        "mae_days",
        "folds",
        "error",
    )
    list_filter = ("status",)
    actions = [train_now]
    fields = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("blob")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else self.get_readonly_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        return (
            "version",
            "status",
            "error",
            "target",
            "trained_at",
            "assets",
            "failures",
            "samples",
            "features",
            "metrics",
            "validation",
            "parameters",
            "train_seconds",
            "requested_by",
            "created_at",
        )

    @admin.display(description="CV RMSE (days)")
    def rmse_days(self, obj: PredictionModel) -> Any:
        return (obj.validation or {}).get("rmse_days")

    @admin.display(description="CV MAE (days)")
    def mae_days(self, obj: PredictionModel) -> Any:
        return (obj.validation or {}).get("mae_days")

    @admin.display(description="Folds")
    def folds(self, obj: PredictionModel) -> Any:
        return (obj.validation or {}).get("folds")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("iot.train_predictionmodel")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not request.user.has_perm("iot.train_predictionmodel"):
            actions.pop("train_now", None)
        return actions

    def save_model(
        self, request: HttpRequest, obj: PredictionModel, form: Any, change: bool
    ) -> None:
        record = prediction.prediction_model_request(by=request.user)
        obj.pk = record.pk
        self.message_user(request, f"Training model version {record.version} queued.")
