"""The SLA monitor: every crossing once, whatever runs it how often; escalation steps once
each; a fixed number of queries per pass."""

import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from maintenance.services import work_orders
from notifications.models import Delivery
from sla.models import ClockCrossing, Violation
from sla.services.monitor import monitor_pass
from sla.services.policies import policy_create
from sla.tasks import monitor
from tests.core.test_events import PubSubListener


@pytest.fixture
def listener(test_tenants):
    listening = PubSubListener(test_tenants.values())
    yield listening
    listening.close()


def sla_events(listener, wait: float = 0.5) -> list[dict]:
    return [m for m in listener.messages(wait=wait) if m["type"].startswith("sla:")]


def late_order(minutes_ago: float, **fields):
    return work_orders.work_order_create(
        by=None,
        title=fields.pop("title", "Leak"),
        reported_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )


@pytest.mark.django_db
def test_warning_then_violation_each_once_however_often_it_runs(
    in_alpha, listener, django_capture_on_commit_callbacks
):
    policy_create(by=None, name="P", response_minutes=10, resolution_minutes=600)
    order = late_order(9)  # 90% of the response clock gone: past the 80% warning

    with django_capture_on_commit_callbacks(execute=True):
        first = monitor_pass()
        again = monitor_pass()
    warned = sla_events(listener)

    assert (first.warnings, first.violations, again.warnings) == (1, 0, 0)
    assert [(e["type"], e["data"]["kind"], e["data"]["work_order"]) for e in warned] == [
        ("sla:warning", "response", order.pk)
    ]
    assert warned[0]["tenant"] == in_alpha.schema

    # When the response is due (ten minutes after the report),
    with django_capture_on_commit_callbacks(execute=True):
        due = monitor_pass(now=timezone.now() + timedelta(minutes=2))
        monitor_pass(now=timezone.now() + timedelta(minutes=3))
    breached = sla_events(listener)

    assert (due.violations, due.warnings) == (1, 0)
    assert [e["type"] for e in breached] == ["sla:violation"]
    violation = Violation.objects.get()
    assert breached[0]["data"]["id"] == violation.pk
    assert breached[0]["data"]["kind"] == "response"
    assert ClockCrossing.objects.count() == 2


@pytest.mark.django_db
def test_a_stopped_or_paused_clock_crosses_nothing(in_alpha):
    policy_create(by=None, name="P", response_minutes=10, resolution_minutes=20, pause_on_hold=True)
    responded = late_order(5)
    work_orders.work_order_start(by=None, work_order=responded)
    held = late_order(5)
    work_orders.work_order_start(by=None, work_order=held)
    work_orders.work_order_hold(by=None, work_order=held)
    cancelled = late_order(5)
    work_orders.work_order_cancel(by=None, work_order=cancelled)

    report = monitor_pass(now=timezone.now() + timedelta(hours=5))

    # Only the resolution clock of the responded work order (still running) crosses.
    assert (report.warnings, report.violations) == (1, 1)
    assert set(ClockCrossing.objects.values_list("work_order_id", "clock")) == {
        (responded.pk, "resolution")
    }


@pytest.mark.django_db
def test_escalation_steps_run_once_each_and_stop_when_the_clock_stops(in_alpha):
    planner = in_alpha.users["planner"]
    policy_create(
        by=None,
        name="P",
        response_minutes=10,
        resolution_minutes=600,
        escalation=[
            {"after_minutes": 0, "notify_roles": ["manager"]},
            {"after_minutes": 30, "notify_users": [planner.pk]},
        ],
    )
    order = late_order(11)
    now = timezone.now()

    monitor_pass(now=now)  # records the violation and schedules step 1
    first = monitor_pass(now=now + timedelta(seconds=1))
    repeat = monitor_pass(now=now + timedelta(seconds=2))
    second = monitor_pass(now=now + timedelta(minutes=31))
    beyond = monitor_pass(now=now + timedelta(hours=5))

    assert (first.escalations, repeat.escalations, second.escalations) == (1, 0, 1)
    assert beyond.escalations == 0
    violation = Violation.objects.get(clock="response")
    assert violation.escalation_level == 2
    assert violation.next_escalation_at is None
    mails = list(Delivery.objects.filter(event="sla:escalation").order_by("id"))
    assert [sorted(d.message["to"]) for d in mails] == [
        sorted([f"manager@{in_alpha.domain}", f"owner@{in_alpha.domain}"]),
        [planner.email],
    ]
    assert order.number in mails[0].message["subject"]

    # A second violation (resolution) escalates only while the work is not done.
    work_orders.work_order_start(by=None, work_order=order)
    work_orders.work_order_complete(by=None, work_order=order)
    assert monitor_pass(now=now + timedelta(days=5)).escalations == 0


@pytest.mark.django_db
def test_a_pass_costs_the_same_queries_for_five_or_fifty_crossings(in_alpha):
    policy_create(
        by=None,
        name="P",
        response_minutes=10,
        resolution_minutes=600,
        escalation=[{"after_minutes": 0, "notify_roles": ["manager"]}],
    )

    def queries_for(count: int) -> int:
        for _ in range(count):
            late_order(11)
        monitor_pass()  # the violations; their escalations become due
        with CaptureQueriesContext(connection) as captured:
            report = monitor_pass(now=timezone.now() + timedelta(minutes=1))
        assert report.escalations == count
        ClockCrossing.objects.all().delete()
        from sla.models import WorkOrderClock

        WorkOrderClock.objects.all().delete()
        return len(captured)

    assert queries_for(5) == queries_for(50)


def test_two_passes_at_once_record_and_announce_each_crossing_once(committed, listener):
    alpha = committed["alpha"]
    with tenant_context(alpha.tenant):
        policy_create(
            by=None,
            name="P",
            response_minutes=1,
            resolution_minutes=2,
            escalation=[{"after_minutes": 0, "notify_roles": ["manager"]}],
        )
        for _ in range(30):
            late_order(5)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run() -> None:
        try:
            with tenant_context(alpha.tenant):
                barrier.wait(timeout=10)
                reports.append(monitor_pass())
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # 30 work orders x 2 clocks x (warning + violation), by one pass or split between both.
    assert sum(r.warnings for r in reports) == 60
    assert sum(r.violations for r in reports) == 60
    events = sla_events(listener, wait=1.5)
    assert len(events) == 120
    assert len({(e["type"], e["data"]["id"]) for e in events}) == 120


@pytest.mark.django_db
def test_the_task_and_the_command_run_a_pass_in_their_tenant(alpha, beta):
    for tenant in (alpha, beta):
        with tenant_context(tenant.tenant):
            policy_create(by=None, name="P", response_minutes=1, resolution_minutes=600)
            late_order(5)
    out = io.StringIO()

    call_command("run_sla_monitor", "--tenant", alpha.schema, stdout=out)
    with tenant_context(beta.tenant):
        assert Violation.objects.count() == 0
        report = monitor.run(run_key="beat-1")

    assert "1 violations" in out.getvalue()
    assert report == {"warnings": 1, "violations": 1, "escalations": 0}
    with tenant_context(alpha.tenant):
        assert Violation.objects.count() == 1
