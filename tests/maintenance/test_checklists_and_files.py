"""Checklist steps of every kind, and files on work orders."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from maintenance.models import Attachment
from tests.maintenance.factories import WorkOrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(in_alpha):
    return WorkOrderFactory(status="in_progress", assigned_to=in_alpha.users["technician"])


def add_step(api, job, **step):
    response = api("planner").post(f"/api/v1/work-orders/{job.pk}/steps/", step, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def record(api, job, step, **body):
    return api("technician").patch(
        f"/api/v1/work-orders/{job.pk}/steps/{step['id']}/", body, format="json"
    )


@pytest.mark.parametrize(
    ("step", "body", "expected"),
    [
        ({"title": "Clean filter"}, {"done": True}, {"done": True, "failed": False, "result": ""}),
        (
            {"title": "Guard?", "kind": "inspection"},
            {"result": "PASS"},
            {"done": True, "failed": False, "result": "pass"},
        ),
        (
            {"title": "Guard?", "kind": "inspection"},
            {"result": "fail"},
            {"done": True, "failed": True},
        ),
        (
            {"title": "Guard?", "kind": "inspection"},
            {"result": "n_a"},
            {"done": True, "failed": False},
        ),
        (
            {"title": "Temp", "kind": "number", "expected_min": 10, "expected_max": 70},
            {"result": 42},
            {"failed": False, "value": 42},
        ),
        (
            {"title": "Temp", "kind": "number", "expected_min": 10, "expected_max": 70},
            {"result": "81.5"},
            {"failed": True, "value": 81.5},
        ),
        (
            {"title": "Temp", "kind": "number", "expected_max": 70},
            {"result": "-5"},
            {"failed": False},
        ),
        (
            {"title": "Remarks", "kind": "text"},
            {"result": "Minor rust on frame"},
            {"result": "Minor rust on frame", "done": True},
        ),
    ],
)
def test_step_kinds(api, job, step, body, expected):
    created = add_step(api, job, **step)

    response = record(api, job, created, **body)

    assert response.status_code == 200, response.content
    for key, value in expected.items():
        assert response.json()[key] == value
    assert response.json()["done_by"] == "technician"


@pytest.mark.parametrize(
    ("step", "body"),
    [
        ({"title": "Guard?", "kind": "inspection"}, {"result": "maybe"}),
        ({"title": "Guard?", "kind": "inspection"}, {"done": True}),
        ({"title": "Temp", "kind": "number"}, {"result": "warm"}),
        ({"title": "Temp", "kind": "number"}, {"result": "1e99"}),
        ({"title": "Temp", "kind": "number"}, {"result": "NaN"}),
        ({"title": "Do it"}, {"result": "done"}),
        ({"title": "Notes", "kind": "text"}, {"result": "x" * 2001}),
    ],
)
def test_bad_step_results_are_400(api, job, step, body):
    created = add_step(api, job, **step)

    response = record(api, job, created, **body)

    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    "step",
    [
        {"kind": "task"},
        {"title": "x", "kind": "dance"},
        {"title": "x", "kind": "meter"},
        {"title": "x", "kind": "number", "expected_min": 5, "expected_max": 1},
    ],
)
def test_bad_steps_are_400(api, job, step):
    assert (
        api("planner").post(f"/api/v1/work-orders/{job.pk}/steps/", step, format="json").status_code
        == 400
    )


def test_a_closed_checklist_cannot_change(api, job):
    step = add_step(api, job, title="Clean")
    api("technician").post(f"/api/v1/work-orders/{job.pk}/complete/", {}, format="json")

    response = record(api, job, step, done=True)

    assert response.status_code == 409


def test_technicians_record_steps_only_on_their_own_work(api, in_alpha):
    theirs = WorkOrderFactory(status="in_progress", assigned_to=in_alpha.users["planner"])
    step = add_step(api, theirs, title="Clean")

    assert record(api, theirs, step, done=True).status_code == 403


def test_steps_list_in_order(api, job):
    for title in ("first", "second", "third"):
        add_step(api, job, title=title)

    steps = api("viewer").get(f"/api/v1/work-orders/{job.pk}/steps/").json()

    assert [s["title"] for s in steps] == ["first", "second", "third"]
    assert [s["order"] for s in steps] == [1, 2, 3]


PDF = b"%PDF-1.4\n" + b"0" * 100


def upload(api, job, name, payload, role="technician"):
    return api(role).post(
        f"/api/v1/work-orders/{job.pk}/attachments/",
        {"file": SimpleUploadedFile(name, payload)},
        format="multipart",
    )


def test_upload_and_download_a_document(api, job, alpha):
    response = upload(api, job, "manual.pdf", PDF)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)
    stored = Attachment.objects.get(pk=body["id"])
    assert stored.file.path.startswith(str(settings.MEDIA_ROOT / alpha.schema) + "/work-orders/")
    download = api("viewer").get(body["download_url"])
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("virus.exe", b"MZ\x90\x00\x03"),
        ("photo.jpg", b"<html>not a jpeg</html>"),
        ("data.csv", b"\xff\xfe\x00binary"),
        ("empty.pdf", b""),
    ],
)
def test_uploads_of_the_wrong_kind_are_400(api, job, name, payload):
    response = upload(api, job, name, payload)

    assert response.status_code == 400
    assert "file" in response.json()
    assert not Attachment.objects.exists()


@override_settings(ATTACHMENT_MAX_BYTES=50)
def test_uploads_over_the_size_limit_are_400(api, job):
    response = upload(api, job, "manual.pdf", PDF)

    assert response.status_code == 400
    assert "larger than" in response.json()["file"][0]


def test_text_and_csv_are_accepted(api, job):
    assert upload(api, job, "readings.csv", b"a,b\n1,2\n").json()["content_type"] == "text/csv"
    assert (
        upload(api, job, "log.txt", "Temperatur \u00fcber 80".encode()).json()["content_type"]
        == "text/plain"
    )


def test_viewers_cannot_upload(api, job):
    assert upload(api, job, "manual.pdf", PDF, role="viewer").status_code == 403
