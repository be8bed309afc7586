"""Where a channel may point, judged when it is saved and again before each send.

E-mail goes to addresses through Django's e-mail backend. SMS, push and Slack go
through Apprise, limited to the services listed here: the vendors' own clouds
(whose addresses are fixed by the library), and self-hosted services (an SMSEagle
gateway, ntfy, Gotify, Mattermost's Slack-compatible hooks) whose host is the
tenant's choice and so must pass ``core.outbound`` like a webhook: public https,
or a network the operator allows. Webhooks are called through the outbound guard.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import apprise
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.outbound import OutboundRefused, check_target
from notifications.choices import ChannelKind

# The Apprise services each kind may use (by Apprise's plugin class).
APPRISE_SERVICES: dict[str, frozenset[str]] = {
    ChannelKind.SMS: frozenset(
        {
            "NotifyTwilio",
            "NotifyVonage",
            "NotifySNS",
            "NotifyClickSend",
            "NotifyBulkSMS",
            "NotifySMSEagle",
        }
    ),
    ChannelKind.PUSH: frozenset(
        {"NotifyPushover", "NotifyPushBullet", "NotifyFCM", "NotifyNtfy", "NotifyGotify"}
    ),
    ChannelKind.SLACK: frozenset({"NotifySlack", "NotifyMattermost"}),
}
# Services that run wherever their owner hosts them: the URL's host is the target.
SELF_HOSTED = frozenset({"NotifySMSEagle", "NotifyNtfy", "NotifyGotify", "NotifyMattermost"})

PHONE_NUMBER = re.compile(r"^\+?[0-9]{6,15}$")
MAX_EMAIL_RECIPIENTS = 50


class TargetRefused(Exception):
    """The target cannot be used; ``errors`` say why, by field, for a person."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


@dataclass(frozen=True)
class Destination:
    """A checked target: e-mail addresses, an Apprise URL or a webhook URL."""

    kind: str
    addresses: tuple[str, ...] = ()
    url: str = ""


def email_addresses(target: str) -> tuple[str, ...]:
    """The addresses of a comma- or space-separated list; refuses any that is not one."""
    addresses = tuple(part for part in re.split(r"[,\s;]+", target.strip()) if part)
    if len(addresses) > MAX_EMAIL_RECIPIENTS:
        raise TargetRefused({"target": [f"At most {MAX_EMAIL_RECIPIENTS} addresses."]})
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise TargetRefused({"target": [f"{address!r} is not an e-mail address."]}) from exc
    return addresses


def _apprise_url(kind: str, target: str, tokens: dict[str, Any]) -> str:
    if kind == ChannelKind.SMS:
        service = tokens.get("service")
        if not isinstance(service, str) or "://" not in service:
            raise TargetRefused(
                {
                    "tokens": [
                        'An SMS channel needs {"service": "<the SMS provider\'s Apprise URL, '
                        'without the recipient>"}, e.g. twilio://SID:TOKEN@+15551230000.'
                    ]
                }
            )
        if not PHONE_NUMBER.match(target):
            raise TargetRefused({"target": ["An SMS target is a phone number, e.g. +31612345678."]})
        return f"{service.rstrip('/')}/{target}"
    if tokens:
        raise TargetRefused({"tokens": ["This kind of channel takes no tokens."]})
    return target


def _check_apprise(kind: str, url: str) -> None:
    try:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    except Exception:  # Apprise raises odd types on odd input; all mean "not a URL of ours"
        plugin = None
    allowed = APPRISE_SERVICES[kind]
    if plugin is None or type(plugin).__name__ not in allowed:
        services = ", ".join(sorted(name.removeprefix("Notify") for name in allowed))
        raise TargetRefused(
            {
                "target" if kind != ChannelKind.SMS else "tokens": [
                    f"Not a URL of a {kind} service this product can use ({services})."
                ]
            }
        )
    name = type(plugin).__name__
    if name not in SELF_HOSTED or getattr(plugin, "mode", None) == "cloud":
        return
    scheme = "https" if getattr(plugin, "secure", False) else "http"
    host = str(getattr(plugin, "host", "") or "")
    port = getattr(plugin, "port", None)
    netloc = f"[{host}]" if ":" in host else host
    try:
        check_target(f"{scheme}://{netloc}{f':{port}' if port else ''}/")
    except OutboundRefused as exc:
        raise TargetRefused(
            {"target" if kind != ChannelKind.SMS else "tokens": [exc.reason]}
        ) from exc


def destination(kind: str, target: str, tokens: dict[str, Any] | None = None) -> Destination:
    """Check ``target`` (and ``tokens``) for a channel of ``kind``; raises ``TargetRefused``."""
    tokens = tokens or {}
    target = (target or "").strip()
    if kind == ChannelKind.EMAIL:
        if tokens:
            raise TargetRefused({"tokens": ["This kind of channel takes no tokens."]})
        return Destination(kind, addresses=email_addresses(target))
    if not target:
        raise TargetRefused({"target": ["This kind of channel needs a target."]})
    if kind == ChannelKind.WEBHOOK:
        if tokens:
            raise TargetRefused({"tokens": ["This kind of channel takes no tokens."]})
        try:
            check_target(target)
        except OutboundRefused as exc:
            raise TargetRefused({"target": [exc.reason]}) from exc
        return Destination(kind, url=target)
    if kind not in APPRISE_SERVICES:
        raise TargetRefused({"kind": [f'"{kind}" is not a kind of channel.']})
    url = _apprise_url(kind, target, tokens)
    _check_apprise(kind, url)
    return Destination(kind, url=url)


def hint(kind: str, target: str) -> str:
    """A harmless reminder of where a channel points (no tokens, no full number)."""
    target = (target or "").strip()
    if not target:
        return ""
    if kind == ChannelKind.EMAIL:
        return target[:120]
    if kind == ChannelKind.SMS:
        return f"...{target[-4:]}"
    parts = urlsplit(target)
    if kind == ChannelKind.WEBHOOK and parts.hostname:
        return f"{parts.scheme}://{parts.hostname}/..."[:120]
    return f"{parts.scheme}://..." if parts.scheme else ""
