"""The public request form behind an asset's QR code."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django_tenants.utils import tenant_context

from maintenance.models import WorkRequest
from tests.assets.factories import AssetFactory

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100


@pytest.fixture
def pump(in_alpha):
    return AssetFactory(asset_id="PUMP-7", name="Feed pump 7", description="Secret plant details")


def form_url(asset):
    return f"/request/{asset.request_token}/"


def report(client, asset, **extra):
    data = {
        "reporter_name": "Sam",
        "reporter_contact": "sam@example.com",
        "description": "Smoke!",
        **extra,
    }
    return client.post(form_url(asset), data)


def test_the_page_works_without_login_and_shows_only_the_asset_name(pump, alpha):
    page = Client(HTTP_HOST=alpha.domain).get(form_url(pump))

    assert page.status_code == 200
    content = page.content.decode()
    assert "Feed pump 7" in content
    assert 'name="viewport"' in content
    for secret in ("PUMP-7", "Secret plant details", alpha.tenant.name, alpha.schema):
        assert secret not in content


def test_a_report_becomes_a_work_request_on_that_asset(pump, alpha):
    response = report(
        Client(HTTP_HOST=alpha.domain), pump, photo=SimpleUploadedFile("smoke.jpg", JPEG)
    )

    assert response.status_code == 302
    assert response["Location"].endswith("?sent=1")
    request = WorkRequest.objects.get()
    assert request.asset == pump
    assert request.channel == "public_form"
    assert request.reporter_name == "Sam"
    assert request.reporter_contact == "sam@example.com"
    assert request.requested_by is None
    assert request.photos.get().content_type == "image/jpeg"
    assert "Thank you" in Client(HTTP_HOST=alpha.domain).get(response["Location"]).content.decode()


@pytest.mark.parametrize("token", ["nope", "x" * 32, "../../etc/passwd"])
def test_an_unknown_token_is_a_plain_404(alpha, in_alpha, token):
    response = Client(HTTP_HOST=alpha.domain).get(f"/request/{token}/")

    assert response.status_code == 404
    assert alpha.tenant.name.encode() not in response.content
    if "/" not in token:
        assert response.content == b"Not found"


def test_a_token_of_another_tenant_is_unknown_here(alpha, beta):
    with tenant_context(beta.tenant):
        beta_pump = AssetFactory(asset_id="B-1", name="Beta pump")

    assert Client(HTTP_HOST=alpha.domain).get(form_url(beta_pump)).status_code == 404


def test_missing_fields_are_a_400_with_the_form_again(pump, alpha):
    response = Client(HTTP_HOST=alpha.domain).post(form_url(pump), {"reporter_name": "Sam"})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not WorkRequest.objects.exists()


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_an_oversized_photo_is_a_400_and_nothing_is_saved(pump, alpha):
    big = SimpleUploadedFile("big.jpg", JPEG + b"\x00" * 2048)

    response = report(Client(HTTP_HOST=alpha.domain), pump, photo=big)

    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert not WorkRequest.objects.exists()


def test_a_photo_that_is_not_an_image_is_refused(pump, alpha):
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 this is an executable")

    response = report(Client(HTTP_HOST=alpha.domain), pump, photo=fake)

    assert response.status_code == 400
    assert not WorkRequest.objects.exists()


@override_settings(PUBLIC_FORM_PER_CLIENT_PER_HOUR=2)
def test_reports_are_rate_limited_per_client(pump, alpha):
    client = Client(HTTP_HOST=alpha.domain)
    statuses = [report(client, pump).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]
    assert WorkRequest.objects.count() == 2
    other = Client(HTTP_HOST=alpha.domain, REMOTE_ADDR="10.1.2.3")
    assert report(other, pump).status_code == 302


@override_settings(
    PUBLIC_FORM_PER_ASSET_PER_HOUR=2,
    PUBLIC_FORM_PER_CLIENT_PER_HOUR=100,
    PUBLIC_FORM_PER_CLIENT_PER_ASSET_PER_HOUR=1,
)
def test_reports_are_rate_limited_per_asset(pump, alpha):
    statuses = [
        report(Client(HTTP_HOST=alpha.domain, REMOTE_ADDR=f"10.0.0.{n}"), pump).status_code
        for n in range(3)
    ]

    assert statuses == [302, 302, 429]
    throttled = report(Client(HTTP_HOST=alpha.domain, REMOTE_ADDR="10.0.0.99"), pump)
    assert int(throttled["Retry-After"]) > 0


def test_a_few_clients_cannot_silence_an_asset(pump, alpha):
    for noisy in range(3):
        client = Client(HTTP_HOST=alpha.domain, REMOTE_ADDR=f"10.6.6.{noisy}")
        statuses = [report(client, pump).status_code for _ in range(10)]
        assert statuses[-1] == 429

    honest = Client(HTTP_HOST=alpha.domain, REMOTE_ADDR="10.1.1.1")
    assert report(honest, pump).status_code == 302


@override_settings(PUBLIC_FORM_PER_CLIENT_PER_HOUR=2)
def test_a_forged_forwarded_for_header_does_not_escape_the_limit(pump, alpha):
    statuses = [
        report(
            Client(HTTP_HOST=alpha.domain, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"), pump
        ).status_code
        for n in range(3)
    ]

    assert statuses == [302, 302, 429]


def test_the_form_is_on_the_tenant_domain_only(pump):
    assert Client(HTTP_HOST="localhost").get(form_url(pump)).status_code == 404
