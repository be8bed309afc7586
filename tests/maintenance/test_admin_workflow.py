"""A work order run from its change page in the back office, through the services."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from inventory.models import Part
from maintenance import services
from maintenance.models import (
    Attachment,
    Comment,
    LaborEntry,
    OtherCost,
    WorkOrder,
    WorkOrderPart,
    WorkOrderStep,
    WorkRequest,
)
from tests.assets.factories import AssetFactory
from tests.maintenance.factories import png, stocked_part

pytestmark = pytest.mark.django_db

BUTTONS = {
    "plan": "move-plan/",
    "assign": "move-assign/",
    "start": "move-start/",
    "hold": "move-hold/",
    "resume": "move-resume/",
    "complete": "move-complete/",
    "cancel": "move-cancel/",
}


def change_url(work_order: WorkOrder) -> str:
    return f"/admin/maintenance/workorder/{work_order.pk}/change/"


def buttons_on(client, work_order: WorkOrder) -> set[str]:
    page = client.get(change_url(work_order))
    assert page.status_code == 200
    html = page.content.decode()
    return {name for name, path in BUTTONS.items() if f"/{work_order.pk}/{path}" in html}


def audited(work_order: WorkOrder, action: str) -> bool:
    return AuditEntry.objects.filter(object_id=str(work_order.pk), action=action).exists()


def new_work_order(**fields) -> WorkOrder:
    return services.work_order_create(by=None, title="Replace the seal", **fields)


def test_only_the_legal_moves_have_buttons(admin_client, in_alpha):
    client = admin_client("manager")
    job = new_work_order(asset=AssetFactory())
    assert buttons_on(client, job) == {"plan", "assign", "start", "cancel"}

    services.work_order_start(by=None, work_order=job)
    assert buttons_on(client, job) == {"assign", "hold", "complete", "cancel"}

    services.work_order_hold(by=None, work_order=job, reason="parts")
    assert buttons_on(client, job) == {"assign", "resume", "cancel"}

    services.work_order_start(by=None, work_order=job)
    services.work_order_complete(by=None, work_order=job)
    assert buttons_on(client, job) == set()


def test_a_move_asks_first_then_goes_through_the_service(admin_client, in_alpha):
    client = admin_client("manager")
    job = new_work_order()
    url = f"/admin/maintenance/workorder/{job.pk}/move-start/"

    assert client.get(url).status_code == 200  # a confirmation, nothing moved yet
    job.refresh_from_db()
    assert job.status == "open"

    response = client.post(url, {"apply": "1"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "in_progress"
    assert audited(job, "work_order.in_progress")

    hold = client.post(
        f"/admin/maintenance/workorder/{job.pk}/move-hold/", {"reason": "waiting for a seal"}
    )
    assert hold.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.hold_reason) == ("on_hold", "waiting for a seal")


def test_an_illegal_move_is_a_message_not_an_error(admin_client, in_alpha):
    client = admin_client("manager")
    job = new_work_order()
    response = client.post(f"/admin/maintenance/workorder/{job.pk}/move-complete/", {})
    assert response.status_code in (302, 403)
    job.refresh_from_db()
    assert job.status == "open"


def test_completion_takes_hours_and_parts_and_costs_the_job(admin_client, in_alpha):
    client = admin_client("manager")
    part = stocked_part("SEAL-1", 5, unit_cost="12.50")
    job = new_work_order(asset=AssetFactory())
    services.work_order_assign(by=None, work_order=job, assigned_to=in_alpha.users["technician"])
    services.work_order_start(by=None, work_order=job)

    form = client.get(f"/admin/maintenance/workorder/{job.pk}/move-complete/")
    assert form.status_code == 200
    assert b"Hours worked" in form.content
    assert b"parts-0-part" in form.content

    response = client.post(
        f"/admin/maintenance/workorder/{job.pk}/move-complete/",
        {
            "actual_hours": "2.5",
            "notes": "Seal replaced",
            "findings": "Worn seal",
            "parts-TOTAL_FORMS": "3",
            "parts-INITIAL_FORMS": "0",
            "parts-0-part": str(part.pk),
            "parts-0-quantity": "2",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    job.refresh_from_db()
    part.refresh_from_db()
    assert job.status == "completed"
    assert part.quantity_on_hand == Decimal("3")
    assert job.parts_cost == Decimal("25.00")
    assert job.actual_hours == Decimal("2.5")
    assert LaborEntry.objects.get(work_order=job).hours == Decimal("2.5")
    assert job.total_cost == job.labor_cost + job.parts_cost + job.other_cost
    assert (job.notes, job.findings) == ("Seal replaced", "Worn seal")
    assert audited(job, "work_order.completed")


def test_short_stock_refuses_the_whole_completion_with_its_reason(admin_client, in_alpha):
    client = admin_client("manager")
    enough = stocked_part("FILTER-1", 5)
    short = stocked_part("BELT-1", 1)
    job = new_work_order()
    services.work_order_start(by=None, work_order=job)

    response = client.post(
        f"/admin/maintenance/workorder/{job.pk}/move-complete/",
        {
            "actual_hours": "1",
            "parts-TOTAL_FORMS": "2",
            "parts-INITIAL_FORMS": "0",
            "parts-0-part": str(enough.pk),
            "parts-0-quantity": "2",
            "parts-1-part": str(short.pk),
            "parts-1-quantity": "3",
        },
    )
    assert response.status_code == 200
    said = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "stock" in said.lower()
    job.refresh_from_db()
    assert job.status == "in_progress"
    assert Part.objects.get(pk=enough.pk).quantity_on_hand == Decimal("5")
    assert not LaborEntry.objects.filter(work_order=job).exists()


INLINES = ("steps", "parts", "labor", "other_costs", "comments", "attachments")


def change_page_data(job: WorkOrder, **rows: list[dict[str, object]]) -> dict[str, object]:
    """The change page as posted: the work order unchanged, ``rows`` in its inlines."""
    data = {
        "title": job.title,
        "description": "",
        "work_type": job.work_type,
        "priority": job.priority,
        "due_at_0": "",
        "due_at_1": "",
        "reported_at_0": job.reported_at.strftime("%Y-%m-%d"),
        "reported_at_1": job.reported_at.strftime("%H:%M:%S"),
    }
    for prefix in INLINES:
        forms = rows.get(prefix, [])
        data[f"{prefix}-TOTAL_FORMS"] = str(len(forms))
        data[f"{prefix}-INITIAL_FORMS"] = str(sum("id" in form for form in forms))
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for index, form in enumerate(forms):
            for name, value in form.items():
                data[f"{prefix}-{index}-{name}"] = value
    return data


def test_inline_rows_are_written_by_the_services(admin_client, in_alpha):
    client = admin_client("manager")
    job = new_work_order()
    step = services.step_add(by=None, work_order=job, title="Check the oil")
    page = client.get(change_url(job)).content.decode()
    assert 'name="steps-0-done"' in page

    data = change_page_data(
        job,
        steps=[{"id": str(step.pk), "work_order": str(job.pk), "done": "on"}],
        labor=[{"technician": str(in_alpha.users["technician"].pk), "hours": "1.5"}],
        comments=[{"body": "Oil looked fine"}],
    )
    response = client.post(change_url(job), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert WorkOrderStep.objects.get(pk=step.pk).done is True
    assert LaborEntry.objects.get(work_order=job).hours == Decimal("1.5")
    assert Comment.objects.get(work_order=job).body == "Oil looked fine"
    for action in ("work_order.record_step", "work_order.labor", "work_order.comment"):
        assert audited(job, action), action


def test_inline_rows_are_added_and_removed_by_the_services(admin_client, in_alpha):
    client = admin_client("manager")
    job = new_work_order()
    kept = services.step_add(by=None, work_order=job, title="Check the oil")
    dropped = services.step_add(by=None, work_order=job, title="Check the belt")
    part = stocked_part("SEAL-9", 5)
    photo = services.attachment_add(
        by=None, work_order=job, upload=SimpleUploadedFile("old.png", png(), "image/png")
    )
    saved = {"work_order": str(job.pk)}

    response = client.post(
        change_url(job),
        change_page_data(
            job,
            steps=[
                {**saved, "id": str(kept.pk)},
                {**saved, "id": str(dropped.pk), "DELETE": "on"},
                {"order": "0", "title": "Check the shaft", "kind": "task"},
            ],
            parts=[{"part": str(part.pk), "quantity_planned": "2", "unit_cost": "0"}],
            other_costs=[{"category": "other", "description": "Crane hire", "amount": "120.00"}],
            attachments=[
                {**saved, "id": str(photo.pk), "DELETE": "on"},
                {"file": SimpleUploadedFile("new.png", png(), "image/png")},
            ],
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"] == []
    steps = list(job.steps.order_by("order").values_list("title", "order"))
    # An order of 0 is no order given: the new step goes to the end.
    assert steps == [("Check the oil", 1), ("Check the shaft", 2)]
    assert WorkOrderPart.objects.get(work_order=job).quantity_planned == Decimal(2)
    assert OtherCost.objects.get(work_order=job).amount == Decimal("120.00")
    assert list(Attachment.objects.filter(work_order=job).values_list("name", flat=True)) == [
        "new.png"
    ]
    for action in (
        "work_order.add_step",
        "work_order.remove_step",
        "attachment.delete",
    ):
        assert audited(job, action), action


def test_a_refused_inline_row_is_a_message_and_the_other_rows_still_land(admin_client, in_alpha):
    client = admin_client("manager")
    job = new_work_order()
    step = services.step_add(by=None, work_order=job, title="Seal intact?", kind="inspection")

    response = client.post(
        change_url(job),
        change_page_data(
            job,
            steps=[{"work_order": str(job.pk), "id": str(step.pk), "result": "maybe"}],
            comments=[{"body": "Gasket on order"}],
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    errors = [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert len(errors) == 1
    assert errors[0].startswith(f"{WorkOrderStep._meta.verbose_name}: "), errors
    assert "pass, fail or n_a" in errors[0], errors
    step.refresh_from_db()
    assert (step.done, step.result) == (False, "")
    assert Comment.objects.get(work_order=job).body == "Gasket on order"


def test_request_approved_with_assignee_and_priority_from_its_page(admin_client, in_alpha):
    client = admin_client("planner")
    pending = services.work_request_create(
        by=in_alpha.users["requester"], title="Leak", description="Water on the floor"
    )
    page = client.get(f"/admin/maintenance/workrequest/{pending.pk}/change/").content.decode()
    assert f"/{pending.pk}/approve/" in page
    assert f"/{pending.pk}/reject/" in page

    response = client.post(
        f"/admin/maintenance/workrequest/{pending.pk}/approve/",
        {"assigned_to": in_alpha.users["technician"].pk, "priority": "high"},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    job = pending.work_order
    assert (pending.status, job.priority, job.assigned_to) == (
        "approved",
        "high",
        in_alpha.users["technician"],
    )
    assert AuditEntry.objects.filter(
        object_id=str(pending.pk), action="work_request.approve"
    ).exists()
    page = client.get(f"/admin/maintenance/workrequest/{pending.pk}/change/").content.decode()
    assert f"/{pending.pk}/approve/" not in page


def test_request_rejected_with_a_reason(admin_client, in_alpha):
    client = admin_client("planner")
    pending = services.work_request_create(by=in_alpha.users["requester"], title="Noise")
    assert (
        client.post(f"/admin/maintenance/workrequest/{pending.pk}/reject/", {}).status_code == 200
    )
    response = client.post(
        f"/admin/maintenance/workrequest/{pending.pk}/reject/", {"reason": "Duplicate"}
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.rejection_reason) == ("rejected", "Duplicate")
    assert WorkRequest.objects.filter(pk=pending.pk, status="rejected").exists()


def test_another_tenants_admin_cannot_move_this_work(admin_client, in_alpha, beta):
    job = new_work_order()
    # Same id in beta: nothing there, so nothing moves and nothing leaks.
    other = admin_client("manager", tenant=beta)
    response = other.post(f"/admin/maintenance/workorder/{job.pk}/move-start/", {"apply": "1"})
    assert response.status_code in (302, 403, 404)
    with tenant_context(in_alpha.tenant):
        job.refresh_from_db()
    assert job.status == "open"


def test_photos_are_served_to_their_own_tenant_only(admin_client, in_alpha, beta):
    job = new_work_order()
    photo = services.attachment_add(
        by=None,
        work_order=job,
        upload=SimpleUploadedFile("seal.png", png(), content_type="image/png"),
    )
    page = admin_client("manager").get(change_url(job)).content.decode()
    assert f'src="/admin/maintenance/workorder/attachment/{photo.pk}/"' in page  # the preview

    url = f"/admin/maintenance/workorder/attachment/{photo.pk}/"
    served = admin_client("manager").get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    assert admin_client("manager", tenant=beta).get(url).status_code == 404
    assert admin_client("requester").get(url).status_code in (302, 403)
