"""Accounts, the audit trail and the record of background job runs.

These tables exist in every tenant schema (and in public, for platform staff).
"""

from django.contrib.auth.models import AbstractUser
from django.db import models

from core.roles import ROLE_NAMES, Role


class User(AbstractUser):
    """A person of one tenant. Their role is the role group they belong to."""

    hourly_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Default labor rate, used when labor is logged without a rate.",
    )
    # Carried in every token minted for the user; raising it ends every session at once
    # (password change, deactivation, sign-out everywhere).
    token_version = models.PositiveIntegerField(default=0, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    @property
    def role(self) -> str | None:
        """The user's role, read from their groups (prefetch ``groups`` for lists)."""
        names = sorted(g.name for g in self.groups.all() if g.name in ROLE_NAMES)
        # One role per user is the rule; should data break it, the strongest wins.
        for role in Role.values:
            if role in names:
                return role
        return None


class AuditEntry(models.Model):
    """One write made through a service: who, what, which object, before/after."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept apart from the foreign key so the trail survives the user's deletion.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=128, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id", "-created_at"])]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M:%S}"
        return f"{when} {self.actor_username} {self.action} {self.object_repr}"


class JobRun(models.Model):
    """A background job that completed in this tenant.

    Written in the job's own transaction, so it exists exactly when the job's
    effects do. The unique key makes a job idempotent per run: a redelivered
    message (acks_late after a lost worker, a second beat) finds its run done.
    """

    name = models.CharField(max_length=200)
    run_key = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "run_key"], name="core_jobrun_once_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.run_key}"
