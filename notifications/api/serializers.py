from rest_framework import serializers

from core.api.bodies import StrictModelSerializer
from core.events import EVENT_TYPES
from core.roles import Role
from notifications.models import Channel, Delivery


class ChannelSerializer(StrictModelSerializer):
    """A notification channel. ``target`` and ``tokens`` are write-only and kept encrypted."""

    target = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=(
            "email: addresses, comma-separated (or none, to write to the members of `roles`); "
            "sms: the phone number; push: the Apprise URL of the push service (ntfy, Gotify, "
            "Pushover, Pushbullet, FCM); slack: the Slack incoming-webhook URL (or a Mattermost "
            "one); webhook: the https URL to POST to. Never shown again."
        ),
    )
    tokens = serializers.DictField(
        write_only=True,
        required=False,
        help_text=(
            'sms only: {"service": "<the SMS provider\'s Apprise URL without the recipient>"}, '
            "e.g. twilio://SID:TOKEN@+15551230000 or smseagle://TOKEN@gateway. Never shown again."
        ),
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENT_TYPES)),
        required=False,
        max_length=len(EVENT_TYPES),
        help_text="The events this channel receives.",
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices),
        required=False,
        max_length=len(Role.choices),
        help_text=(
            "Escalations to these roles go out through this channel too; an e-mail channel "
            "also writes to the active members of these roles."
        ),
    )

    class Meta:
        model = Channel
        fields = [
            "id",
            "name",
            "kind",
            "target",
            "tokens",
            "target_hint",
            "events",
            "roles",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "target_hint", "created_at", "updated_at"]


class ChannelCreatedSerializer(ChannelSerializer):
    """The creation answer: a webhook channel's signing secret is shown here, once."""

    secret = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=(
            "Webhook channels: the Standard Webhooks signing secret (`whsec_<base64>`), shown "
            "only in this answer. Null for other kinds."
        ),
    )

    class Meta(ChannelSerializer.Meta):
        fields = [*ChannelSerializer.Meta.fields, "secret"]


class DeliverySerializer(StrictModelSerializer):
    """One message to a channel or to named people, and what became of it."""

    webhook_id = serializers.CharField(
        read_only=True, help_text="The message id (`webhook-id`), the same on every attempt."
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "kind",
            "event",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "webhook_id",
            "created_at",
        ]
        read_only_fields = fields
