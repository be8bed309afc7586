"""Work requests: requesters report, planners approve into work orders or decline."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from core.models import AuditEntry
from maintenance.models import WorkOrder, WorkRequest
from tests.assets.factories import AssetFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name="leak.png", payload=PNG):
    return SimpleUploadedFile(name, payload, content_type="image/png")


def test_requester_reports_with_a_photo_and_sees_only_their_own(api, in_alpha):
    AssetFactory(asset_id="PUMP-1")
    requester = api("requester")

    mine = requester.post(
        "/api/v1/work-requests/",
        {
            "title": "Pump leaking",
            "description": "Puddle under the pump",
            "asset_id": "PUMP-1",
            "photos": [png()],
        },
        format="multipart",
    )
    api("technician").post("/api/v1/work-requests/", {"description": "Light out in hall 2"})

    assert mine.status_code == 201, mine.content
    body = mine.json()
    assert body["status"] == "pending"
    assert body["requested_by"] == in_alpha.users["requester"].pk
    assert [p["name"] for p in body["photos"]] == ["leak.png"]
    listed = requester.get("/api/v1/work-requests/").json()
    assert [r["title"] for r in listed["results"]] == ["Pump leaking"]
    assert api("planner").get("/api/v1/work-requests/").json()["count"] == 2


def test_a_request_needs_a_title_or_a_description(api, in_alpha):
    response = api("requester").post("/api/v1/work-requests/", {"priority": "high"})

    assert response.status_code == 400
    assert not WorkRequest.objects.exists()


def test_a_request_photo_must_be_an_image(api, in_alpha):
    pdf = SimpleUploadedFile("doc.png", b"%PDF-1.7 not an image", content_type="image/png")

    response = api("requester").post(
        "/api/v1/work-requests/",
        {"description": "see attached", "photos": [pdf]},
        format="multipart",
    )

    assert response.status_code == 400
    assert not WorkRequest.objects.exists()


def test_approval_makes_a_work_order_keeping_text_photos_and_a_link(
    api, in_alpha, django_capture_on_commit_callbacks, celery_eager
):
    AssetFactory(asset_id="PUMP-1")
    created = (
        api("requester")
        .post(
            "/api/v1/work-requests/",
            {
                "title": "Pump leaking",
                "description": "Puddle",
                "asset_id": "PUMP-1",
                "priority": "high",
                "photos": [png()],
            },
            format="multipart",
        )
        .json()
    )

    with django_capture_on_commit_callbacks(execute=True):
        approved = api("planner").post(
            f"/api/v1/work-requests/{created['id']}/approve/",
            {"assigned_to": in_alpha.users["technician"].pk},
            format="json",
        )

    assert approved.status_code == 201, approved.content
    order = approved.json()
    assert order["title"] == "Pump leaking"
    assert order["description"] == "Puddle"
    assert order["asset_id"] == "PUMP-1"
    assert order["priority"] == "high"
    assert order["source"] == "request"
    assert order["request"] == created["id"]
    assert order["requested_by"] == in_alpha.users["requester"].pk
    assert order["assigned_to"] == in_alpha.users["technician"].pk
    photos = api("planner").get(f"/api/v1/work-orders/{order['id']}/attachments/").json()
    assert [p["name"] for p in photos] == ["leak.png"]
    request = api("requester").get(f"/api/v1/work-requests/{created['id']}/").json()
    assert request["status"] == "approved"
    assert request["work_order"] == order["id"]
    told = [m for m in mail.outbox if m.to == [in_alpha.users["requester"].email]]
    assert len(told) == 1
    assert order["number"] in told[0].body


def test_rejection_needs_a_reason_and_tells_the_requester(
    api, in_alpha, django_capture_on_commit_callbacks, celery_eager
):
    created = api("requester").post("/api/v1/work-requests/", {"description": "Noise"}).json()
    planner = api("planner")

    assert planner.post(f"/api/v1/work-requests/{created['id']}/reject/", {}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        rejected = planner.post(
            f"/api/v1/work-requests/{created['id']}/reject/", {"reason": "Normal for this machine"}
        )

    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Normal for this machine"
    assert "Normal for this machine" in mail.outbox[-1].body
    assert AuditEntry.objects.filter(
        action="work_request.reject", object_id=str(created["id"])
    ).exists()


@pytest.mark.parametrize(
    ("first", "second"), [("approve", "approve"), ("approve", "reject"), ("reject", "approve")]
)
def test_a_request_is_reviewed_once(api, in_alpha, first, second):
    created = api("requester").post("/api/v1/work-requests/", {"description": "Noise"}).json()
    planner = api("planner")
    body = {"approve": {}, "reject": {"reason": "no"}}
    planner.post(f"/api/v1/work-requests/{created['id']}/{first}/", body[first])

    again = planner.post(f"/api/v1/work-requests/{created['id']}/{second}/", body[second])

    assert again.status_code == 409
    assert again.json()["code"] == "request_already_reviewed"
    assert WorkOrder.objects.count() == (1 if first == "approve" else 0)


@pytest.mark.parametrize("role", ["requester", "technician", "viewer"])
def test_only_planners_and_managers_review(api, in_alpha, role):
    created = api("requester").post("/api/v1/work-requests/", {"description": "Noise"}).json()

    assert api(role).post(f"/api/v1/work-requests/{created['id']}/approve/", {}).status_code in (
        403,
        404,
    )


def test_requesters_cannot_see_others_requests_or_their_photos(api, in_alpha):
    from core.services import user_create
    from tests.conftest import PASSWORD

    user_create(by=None, username="other.requester", password=PASSWORD, role="requester")
    theirs = (
        api("technician")
        .post(
            "/api/v1/work-requests/",
            {"description": "Theirs", "photos": [png()]},
            format="multipart",
        )
        .json()
    )
    requester = api("requester")

    assert requester.get(f"/api/v1/work-requests/{theirs['id']}/").status_code == 404
    download = theirs["photos"][0]["download_url"]
    # The same answer as for a file that does not exist.
    assert requester.get(download).status_code == 404
    assert api("planner").get(download).status_code == 200


def test_requests_are_per_tenant(api, alpha, beta):
    created = (
        api("requester", tenant=beta)
        .post("/api/v1/work-requests/", {"description": "Beta noise"})
        .json()
    )

    assert api("manager", tenant=alpha).get("/api/v1/work-requests/").json()["count"] == 0
    assert (
        api("manager", tenant=alpha)
        .post(f"/api/v1/work-requests/{created['id']}/approve/", {})
        .status_code
        == 404
    )
    with tenant_context(beta.tenant):
        assert WorkRequest.objects.get().status == "pending"


def test_photo_bytes_round_trip(api, in_alpha):
    created = (
        api("requester")
        .post(
            "/api/v1/work-requests/",
            {"description": "x", "photos": [png(payload=PNG + b"tail")]},
            format="multipart",
        )
        .json()
    )

    download = api("requester").get(created["photos"][0]["download_url"])

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG + b"tail"
    assert download["Content-Type"] == "image/png"
