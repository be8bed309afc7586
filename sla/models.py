"""Service levels: policies, the clocks they put on work orders, and what the clocks cross."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from assets.choices import Criticality
from maintenance.choices import Priority, WorkType
from maintenance.models import MaintenanceCalendar, WorkOrder
from sla.choices import Clock, CrossingKind

# Ten years of working minutes: anything longer is a typing error, not a service level.
MAX_MINUTES = 10 * 366 * 24 * 60
MINUTES = [MinValueValidator(1), MaxValueValidator(MAX_MINUTES)]


class Policy(models.Model):
    """Response and resolution targets for the work orders it applies to.

    A policy applies by ``priority``, ``work_type`` and the asset's criticality,
    each null for any. Of the active policies that apply, the most specific wins:
    one that names the asset criticality beats any that does not, then work
    type, then priority. Two active policies may not name exactly the same scope.
    The clocks count only the working time of ``calendar`` (null: round the clock).
    ``escalation`` is a list of steps ``{after_minutes, notify_roles, notify_users}``,
    each run once when a clock has been breached for that many working minutes.
    """

    name = models.CharField(max_length=200, unique=True)
    # Null is "any" in the contract, and what the scope's uniqueness compares.
    priority = models.CharField(  # noqa: DJ001
        max_length=10, choices=Priority.choices, null=True, blank=True
    )
    work_type = models.CharField(  # noqa: DJ001
        max_length=20, choices=WorkType.choices, null=True, blank=True
    )
    asset_criticality = models.CharField(  # noqa: DJ001
        max_length=10, choices=Criticality.choices, null=True, blank=True
    )
    response_minutes = models.PositiveIntegerField(validators=MINUTES)
    resolution_minutes = models.PositiveIntegerField(validators=MINUTES)
    calendar = models.ForeignKey(
        MaintenanceCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sla_policies",
    )
    pause_on_hold = models.BooleanField(default=False)
    warning_threshold_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    escalation = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "work_type", "asset_criticality"],
                condition=Q(active=True),
                nulls_distinct=False,
                name="sla_policy_one_active_per_scope",
            ),
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=F("response_minutes")),
                name="sla_policy_resolution_after_response",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkOrderClock(models.Model):
    """The response and resolution clocks a policy put on one work order.

    Both start at the work order's ``reported_at`` and count the policy's working
    time. The due times (and the warning points before them) are fixed when the
    policy is applied; they move only when a pause ends (by the working time it
    lasted: ``paused_seconds``) or when the priority changes. ``next_check_at`` is
    the next moment the monitor must look at this clock (its earliest warning or
    due point still ahead), null once nothing is left to cross.
    """

    work_order = models.OneToOneField(
        WorkOrder, primary_key=True, on_delete=models.CASCADE, related_name="sla_clock"
    )
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="clocks")
    started_at = models.DateTimeField()
    # The policy's terms as applied: editing the policy later changes no running clock.
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    warning_threshold_percent = models.PositiveSmallIntegerField()
    pause_on_hold = models.BooleanField()
    response_warn_at = models.DateTimeField()
    response_due_at = models.DateTimeField()
    resolution_warn_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Working minutes each clock ran (pauses excluded), written when it stops.
    response_minutes_taken = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    resolution_minutes_taken = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.BigIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            # The monitor's one question: which clocks reached a point by now?
            models.Index(
                fields=["next_check_at"],
                condition=Q(next_check_at__isnull=False),
                name="sla_clock_next_check",
            ),
            models.Index(fields=["started_at"], name="sla_clock_started"),
        ]

    def __str__(self) -> str:
        return f"SLA clocks of work order {self.work_order_id}"


class ClockCrossing(models.Model):
    """A clock reached its warning point or its due time: recorded once, ever.

    The unique (work order, clock, kind) is what makes the monitor exactly-once:
    two monitors at once, or a retried pass, insert the same row and only one
    insert wins, so only one ``sla:warning`` or ``sla:violation`` goes out.
    A violation climbs its policy's escalation steps through ``escalation_level``
    (steps done) and ``next_escalation_at`` (when the next one is due).
    """

    # The unique (work order, clock, kind) index already leads with the work order:
    # a second index on it would only slow the monitor's inserts.
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="sla_crossings", db_index=False
    )
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="crossings")
    clock = models.CharField(max_length=10, choices=Clock.choices)
    kind = models.CharField(max_length=10, choices=CrossingKind.choices)
    due_at = models.DateTimeField()
    crossed_at = models.DateTimeField(db_index=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-crossed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order", "clock", "kind"], name="sla_crossing_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_escalation_at"],
                condition=Q(next_escalation_at__isnull=False),
                name="sla_crossing_next_escalation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clock} {self.kind} of work order {self.work_order_id}"


class ViolationManager(models.Manager["Violation"]):
    def get_queryset(self) -> models.QuerySet["Violation"]:
        return super().get_queryset().filter(kind=CrossingKind.VIOLATION)


class Violation(ClockCrossing):
    """A clock past its due time (the crossings of kind violation)."""

    objects = ViolationManager()

    class Meta:
        proxy = True
        ordering = ["-crossed_at", "-id"]
        verbose_name = "SLA violation"

    @property
    def escalated(self) -> bool:
        return self.escalation_level > 0
