"""Who may see and change what on a work order: attachments and comments follow the
work order's visibility; only planners and managers change who requested the work."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from maintenance.models import Attachment, WorkRequest
from tests.maintenance.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + b"0" * 100


def attach(job, name="manual.pdf"):
    return Attachment.objects.create(
        work_order=job,
        file=SimpleUploadedFile(name, PDF),
        name=name,
        content_type="application/pdf",
        size=len(PDF),
    )


@pytest.fixture
def own_and_other(in_alpha):
    requester = in_alpha.users["requester"]
    own = WorkOrderFactory()
    WorkRequest.objects.create(
        title="Mine", requested_by=requester, work_order=own, status="approved"
    )
    other = WorkOrderFactory()
    attach(own, "mine.pdf")
    attach(other, "secret.pdf")
    return own, other


def test_a_requester_lists_the_attachments_of_their_own_requests_work_order(api, own_and_other):
    own, _ = own_and_other

    response = api("requester").get(f"/api/v1/work-orders/{own.pk}/attachments/")

    assert response.status_code == 200, response.content
    assert [a["name"] for a in response.json()] == ["mine.pdf"]


def test_another_work_order_looks_exactly_like_a_missing_one_to_a_requester(api, own_and_other):
    _, other = own_and_other
    requester = api("requester")

    hidden = requester.get(f"/api/v1/work-orders/{other.pk}/attachments/")
    missing = requester.get("/api/v1/work-orders/999999999/attachments/")

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


@pytest.mark.parametrize("suffix", ["comments/", ""])
def test_a_requester_cannot_tell_real_work_orders_from_missing_ones(api, own_and_other, suffix):
    _, other = own_and_other
    requester = api("requester")

    hidden = requester.get(f"/api/v1/work-orders/{other.pk}/{suffix}")
    missing = requester.get(f"/api/v1/work-orders/999999999/{suffix}")

    assert hidden.status_code == missing.status_code
    assert hidden.status_code in (403, 404)
    assert hidden.json() == missing.json()


def test_a_requester_downloads_only_their_own_work_orders_files(api, own_and_other):
    own, other = own_and_other
    requester = api("requester")
    mine = Attachment.objects.get(work_order=own)
    theirs = Attachment.objects.get(work_order=other)

    assert requester.get(f"/api/v1/attachments/{mine.pk}/download/").status_code == 200
    assert requester.get(f"/api/v1/attachments/{theirs.pk}/download/").status_code == 404


def test_the_team_sees_every_work_orders_attachments(api, own_and_other):
    _, other = own_and_other

    response = api("viewer").get(f"/api/v1/work-orders/{other.pk}/attachments/")

    assert [a["name"] for a in response.json()] == ["secret.pdf"]


def test_a_technician_cannot_change_who_requested_the_work(api, in_alpha):
    technician = in_alpha.users["technician"]
    job = WorkOrderFactory(assigned_to=technician, requested_by=in_alpha.users["planner"])

    response = api("technician").patch(
        f"/api/v1/work-orders/{job.pk}/", {"requested_by": technician.pk}, format="json"
    )

    assert response.status_code == 403
    assert "requested_by" in response.json()["detail"]
    job.refresh_from_db()
    assert job.requested_by == in_alpha.users["planner"]


def test_a_technician_may_send_back_requested_by_unchanged(api, in_alpha):
    technician = in_alpha.users["technician"]
    job = WorkOrderFactory(assigned_to=technician, requested_by=in_alpha.users["planner"])

    response = api("technician").patch(
        f"/api/v1/work-orders/{job.pk}/",
        {"requested_by": in_alpha.users["planner"].pk, "title": "Renamed"},
        format="json",
    )

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("role", ["planner", "manager"])
def test_planners_and_managers_change_who_requested_the_work(api, in_alpha, role):
    job = WorkOrderFactory(requested_by=in_alpha.users["planner"])
    new = in_alpha.users["technician"]

    response = api(role).patch(
        f"/api/v1/work-orders/{job.pk}/", {"requested_by": new.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    job.refresh_from_db()
    assert job.requested_by == new
