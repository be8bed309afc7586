from django.conf import settings
from django.db import models

from assets.models import Asset
from maintenance.choices import Priority, RequestChannel, RequestStatus


class WorkRequest(models.Model):
    """Someone reports a problem; a planner turns it into a work order or declines it."""

    title = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="work_requests"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING, db_index=True
    )
    channel = models.CharField(
        max_length=12, choices=RequestChannel.choices, default=RequestChannel.APP
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_requests",
    )
    # Who reported it through the public form (no account).
    reporter_name = models.CharField(max_length=200, blank=True)
    reporter_contact = models.CharField(max_length=200, blank=True)
    work_order = models.OneToOneField(
        "maintenance.WorkOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request",
    )
    rejection_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("review_workrequest", "Can approve or reject work requests")]

    def __str__(self) -> str:
        return self.title or self.description[:60]
