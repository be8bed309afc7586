"""Application metrics, exported at /metrics beside django-prometheus's own."""

from prometheus_client import Counter

EVENTS_DELIVERED = Counter(
    "cmms_events_delivered_total",
    "Events handed to a broker after their transaction committed.",
    ["target"],
)
EVENT_DELIVERY_FAILURES = Counter(
    "cmms_event_delivery_failures_total",
    "Events a broker could not take (the write that caused them still succeeded).",
    ["target"],
)
RATE_LIMIT_BACKEND_FAILURES = Counter(
    "cmms_rate_limit_backend_failures_total",
    "Requests let through because the rate-limit store (Redis) could not be reached.",
)
REQUESTS_THROTTLED = Counter(
    "cmms_requests_throttled_total",
    "Requests refused with 429.",
    ["scope"],
)
JOB_RUNS = Counter(
    "cmms_job_runs_total",
    "Tenant background jobs by outcome.",
    ["job", "outcome"],
)

# Publish zeros from the start so a dashboard can tell "no failures" from "no data".
for _target in ("channel_layer", "pubsub"):
    EVENTS_DELIVERED.labels(target=_target)
    EVENT_DELIVERY_FAILURES.labels(target=_target)

NOTIFICATION_ATTEMPTS = Counter(
    "cmms_notification_attempts_total",
    "Notification delivery attempts by channel kind and the status they left.",
    ["kind", "outcome"],
)
