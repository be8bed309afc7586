"""Channels and deliveries in the tenant admin; saves go through the services."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from core.admin_tools import ServiceAdmin, ThemedAdmin
from core.events import EVENT_TYPES
from core.roles import Role
from notifications.models import Channel, Delivery
from notifications.services import channels


class ChannelForm(forms.ModelForm):
    target = forms.CharField(
        required=False,
        max_length=2000,
        help_text="Stored encrypted and never shown again; leave empty to keep the current one.",
    )
    tokens = forms.JSONField(
        required=False,
        help_text='SMS only: {"service": "<the provider\'s Apprise URL>"}. Leave empty to keep.',
    )
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in sorted(EVENT_TYPES)],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Channel
        fields = ("name", "kind", "events", "roles", "active")


@admin.register(Channel)
class ChannelAdmin(ServiceAdmin):
    sidebar_group = "Settings"
    sidebar_icon = "campaign"
    sidebar_order = 50
    form = ChannelForm
    list_display = ("__str__", "kind", "target_hint", "event_list", "role_list", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "target_hint")

    service_fields = ("name", "kind", "target", "tokens", "events", "roles", "active")
    service_object = "channel"
    service_create = staticmethod(channels.channel_create)
    service_update = staticmethod(channels.channel_update)
    service_delete = staticmethod(channels.channel_delete)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("kind", "target_hint") if obj is not None else ("target_hint",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["name", "kind", "target", "tokens", "target_hint", "events", "roles", "active"]

    def service_data(self, form: forms.ModelForm, change: bool) -> dict[str, Any]:
        data = super().service_data(form, change)
        # Empty secrets mean "keep what is stored", not "erase it".
        if not data.get("target"):
            data.pop("target", None)
        if not data.get("tokens"):
            data.pop("tokens", None)
        return data

    def save_model(self, request: HttpRequest, obj: Channel, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and obj.pk:
            secret = (Channel.objects.get(pk=obj.pk).secrets or {}).get("secret")
            if secret:
                self.message_user(
                    request,
                    f"Signing secret of this webhook (shown once, keep it): {secret}",
                    messages.WARNING,
                )

    @admin.display(description="Events")
    def event_list(self, obj: Channel) -> str:
        return ", ".join(obj.events)

    @admin.display(description="Roles")
    def role_list(self, obj: Channel) -> str:
        return ", ".join(obj.roles)


@admin.register(Delivery)
class DeliveryAdmin(ThemedAdmin):
    sidebar_group = "Settings"
    sidebar_icon = "outbox"
    sidebar_order = 60
    """The record of what was sent; nothing here is edited by hand."""

    list_display = ("created_at", "event", "kind", "channel", "status", "attempts", "last_error")
    list_filter = ("status", "kind", "event", ("channel", admin.RelatedOnlyFieldListFilter))
    search_fields = ("event", "last_error")
    list_select_related = ("channel",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "uuid",
        "channel",
        "kind",
        "event",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "created_at",
        "message",
    )
    exclude = ("updated_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
