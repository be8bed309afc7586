"""The words of a notification: a subject line and a short text for each event.

Channels that speak to people (e-mail, SMS, push, Slack) send these; webhooks send
the event's data as JSON instead. The texts read the event's public payload, so
this module needs no domain app.
"""

from typing import Any

SUBJECTS = {
    "work-order:created": "{number} created: {title}",
    "work-order:updated": "{number} updated: {title} ({status})",
    "work-order:completed": "{number} completed: {title}",
    "inventory:low-stock": "Low stock: {part_number} {name}",
    "sla:warning": "SLA warning: {work_order_number} {kind} due {due_at}",
    "sla:violation": "SLA breached: {work_order_number} {kind} was due {due_at}",
    "sla:escalation": "SLA escalation (level {escalation_level}): {work_order_number} {kind}",
    "predictive:alert": "Failure predicted: {asset_id}",
    "iot:anomaly": "Anomaly on {device_id}: {metric}",
    "asset:alert": "Alert on {asset_id}: {message}",
    "sync:completed": "Sync run {id}: {status}",
    "diagnostics:completed": "Diagnostics of {asset_id}: {result}",
}


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def subject_of(event: str, data: dict[str, Any]) -> str:
    """One line that says what happened."""
    template = SUBJECTS.get(event, event)
    return template.format_map(_Lenient({k: v for k, v in data.items() if v is not None}))[:200]


def body_of(event: str, data: dict[str, Any]) -> str:
    """The subject, then the payload's plain fields one per line."""
    lines = [subject_of(event, data), ""]
    for key, value in data.items():
        if value in (None, "", [], {}) or isinstance(value, dict | list):
            continue
        lines.append(f"{key}: {value}")
    return "\n".join(lines)[:4000]
