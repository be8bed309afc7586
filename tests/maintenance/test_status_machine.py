"""The status machine, exactly as the contract draws it, over every pair of statuses."""

import itertools

import pytest

from maintenance.choices import TRANSITIONS, Status
from maintenance.models import WorkOrder
from tests.maintenance.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db

LEGAL = {
    ("open", "scheduled"),
    ("open", "in_progress"),
    ("scheduled", "in_progress"),
    ("in_progress", "on_hold"),
    ("on_hold", "in_progress"),
    ("in_progress", "completed"),
    ("open", "cancelled"),
    ("scheduled", "cancelled"),
    ("in_progress", "cancelled"),
    ("on_hold", "cancelled"),
}
PAIRS = list(itertools.product(Status.values, repeat=2))


def test_the_machine_is_the_contracts():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == LEGAL


@pytest.mark.parametrize(("start", "target"), PAIRS)
def test_put_status_over_every_pair(api, in_alpha, start, target):
    work_order = WorkOrderFactory(status=start)

    response = api("manager").put(
        f"/api/v1/work-orders/{work_order.pk}/status/", {"status": target}
    )

    if (start, target) in LEGAL:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == target
    else:
        assert response.status_code == 409, response.content
        assert response.json() == {
            "detail": f"A work order cannot go from {start} to {target}.",
            "code": "illegal_transition",
        }
        assert WorkOrder.objects.get(pk=work_order.pk).status == start


ACTIONS = {
    "start": "in_progress",
    "hold": "on_hold",
    "complete": "completed",
    "cancel": "cancelled",
}


@pytest.mark.parametrize(("start", "action"), list(itertools.product(Status.values, ACTIONS)))
def test_each_action_over_every_status(api, in_alpha, start, action):
    work_order = WorkOrderFactory(status=start)

    response = api("manager").post(
        f"/api/v1/work-orders/{work_order.pk}/{action}/", {}, format="json"
    )

    target = ACTIONS[action]
    if (start, target) in LEGAL:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == target
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "illegal_transition"
        assert WorkOrder.objects.get(pk=work_order.pk).status == start


def test_unknown_status_is_400(api, in_alpha):
    work_order = WorkOrderFactory()

    response = api("manager").put(
        f"/api/v1/work-orders/{work_order.pk}/status/", {"status": "exploded"}
    )

    assert response.status_code == 400
    assert "status" in response.json()


def test_start_stamps_once_and_complete_stamps_completion(api, in_alpha):
    work_order = WorkOrderFactory()
    client = api("manager")

    first = client.post(f"/api/v1/work-orders/{work_order.pk}/start/").json()
    client.post(f"/api/v1/work-orders/{work_order.pk}/hold/", {"reason": "waiting for parts"})
    resumed = client.post(f"/api/v1/work-orders/{work_order.pk}/start/").json()
    done = client.post(f"/api/v1/work-orders/{work_order.pk}/complete/", {}, format="json").json()

    assert first["started_at"] is not None
    assert resumed["started_at"] == first["started_at"]
    assert resumed["hold_reason"] == ""
    assert done["completed_at"] is not None
    assert done["status"] == "completed"
