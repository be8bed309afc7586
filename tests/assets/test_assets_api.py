"""/api/v1/assets/: the register, its hierarchy, filters, roles and isolation."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from assets.models import Asset, AssetDowntime
from core.models import AuditEntry
from tests.assets.factories import AssetFactory, LocationFactory

pytestmark = pytest.mark.django_db

PUMP = {"asset_id": "PUMP-001", "name": "Feed pump", "asset_type": "equipment"}


def test_create_with_required_fields_and_sensible_defaults(api, alpha):
    response = api("planner").post("/api/v1/assets/", PUMP)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["asset_id"] == "PUMP-001"
    assert body["status"] == "operational"
    assert body["condition"] == "good"
    assert body["criticality"] == "medium"
    assert body["parent"] is None
    assert body["tags"] == []
    assert body["specifications"] == {}
    assert isinstance(body["id"], int)
    assert body["request_url"].startswith(f"http://{alpha.domain}/request/")
    with tenant_context(alpha.tenant):
        assert AuditEntry.objects.filter(
            action="asset.create", object_repr__startswith="PUMP-001"
        ).exists()


@pytest.mark.parametrize("missing", ["asset_id", "name", "asset_type"])
def test_required_fields(api, missing):
    payload = {k: v for k, v in PUMP.items() if k != missing}

    response = api("planner").post("/api/v1/assets/", payload)

    assert response.status_code == 400
    assert missing in response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("asset_type", "spaceship"),
        ("status", "exploded"),
        ("condition", "meh"),
        ("criticality", "extreme"),
        ("asset_id", "has space"),
        ("asset_id", "x" * 65),
        ("asset_id", "statistics"),
        ("purchase_cost", "-10"),
        ("purchase_cost", "1e30"),
        ("install_date", "yesterday"),
        ("specifications", ["not", "an", "object"]),
        ("tags", "not-a-list"),
        ("parent", "NO-SUCH-ASSET"),
        ("location", 999999),
    ],
)
def test_bad_fields_are_field_errors_and_create_nothing(api, in_alpha, field, value):
    response = api("planner").post("/api/v1/assets/", {**PUMP, field: value}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Asset.objects.exists()


def test_asset_id_is_unique_ignoring_case(api):
    client = api("planner")
    assert client.post("/api/v1/assets/", PUMP).status_code == 201

    again = client.post("/api/v1/assets/", {**PUMP, "asset_id": "pump-001"})

    assert again.status_code == 400
    assert "asset_id" in again.json()


def test_asset_is_addressed_by_its_code(api, in_alpha):
    AssetFactory(asset_id="CMP-7", name="Compressor 7")

    response = api("viewer").get("/api/v1/assets/CMP-7/")

    assert response.status_code == 200
    assert response.json()["name"] == "Compressor 7"
    assert api("viewer").get("/api/v1/assets/CMP-8/").status_code == 404


def test_update_and_partial_update(api, in_alpha):
    AssetFactory(asset_id="CMP-7", name="Compressor 7")
    client = api("planner")

    patched = client.patch(
        "/api/v1/assets/CMP-7/",
        {"tags": ["air", "critical"], "specifications": {"kw": 75}},
        format="json",
    )
    put = client.put(
        "/api/v1/assets/CMP-7/",
        {"asset_id": "CMP-7", "name": "Compressor seven", "asset_type": "equipment"},
    )

    assert patched.status_code == 200
    assert patched.json()["tags"] == ["air", "critical"]
    assert put.status_code == 200
    assert put.json()["name"] == "Compressor seven"


def test_parent_is_referenced_by_asset_id_and_children_and_tree_follow(api, in_alpha):
    client = api("planner")
    client.post("/api/v1/assets/", {"asset_id": "LINE-1", "name": "Line 1", "asset_type": "system"})
    client.post(
        "/api/v1/assets/",
        {"asset_id": "PRESS-1", "name": "Press", "asset_type": "machinery", "parent": "LINE-1"},
    )
    client.post(
        "/api/v1/assets/",
        {"asset_id": "MOTOR-1", "name": "Motor", "asset_type": "component", "parent": "PRESS-1"},
    )
    client.post(
        "/api/v1/assets/",
        {"asset_id": "ROBOT-1", "name": "Robot", "asset_type": "machinery", "parent": "LINE-1"},
    )

    children = client.get("/api/v1/assets/LINE-1/children/").json()
    tree = client.get("/api/v1/assets/LINE-1/tree/").json()

    assert [c["asset_id"] for c in children["results"]] == ["PRESS-1", "ROBOT-1"]
    assert [(n["asset_id"], n["depth"], n["parent"]) for n in tree] == [
        ("LINE-1", 0, None),
        ("PRESS-1", 1, "LINE-1"),
        ("MOTOR-1", 2, "PRESS-1"),
        ("ROBOT-1", 1, "LINE-1"),
    ]


@pytest.mark.parametrize("new_parent", ["A", "B", "C"])
def test_hierarchy_cycles_are_refused(api, in_alpha, new_parent):
    a = AssetFactory(asset_id="A")
    b = AssetFactory(asset_id="B", parent=a)
    AssetFactory(asset_id="C", parent=b)

    response = api("planner").patch("/api/v1/assets/A/", {"parent": new_parent})

    assert response.status_code == 400
    assert "parent" in response.json()
    a.refresh_from_db()
    assert a.parent is None


def test_deleting_an_asset_with_sub_assets_is_refused(api, in_alpha):
    parent = AssetFactory(asset_id="P")
    AssetFactory(asset_id="K", parent=parent)
    client = api("manager")

    refused = client.delete("/api/v1/assets/P/")
    leaf = client.delete("/api/v1/assets/K/")

    assert refused.status_code == 409
    assert refused.json()["code"] == "asset_has_children"
    assert leaf.status_code == 204
    assert client.delete("/api/v1/assets/P/").status_code == 204


def test_status_change_records_downtime(api, in_alpha):
    AssetFactory(asset_id="PUMP-9")
    client = api("planner")

    client.post("/api/v1/assets/PUMP-9/status/", {"status": "repair", "reason": "seal leak"})
    down = AssetDowntime.objects.get()
    assert down.ended_at is None
    assert down.reason == "seal leak"

    client.patch("/api/v1/assets/PUMP-9/", {"status": "operational"})
    down.refresh_from_db()
    assert down.ended_at is not None


@pytest.fixture
def catalogue(in_alpha):
    site = LocationFactory(name="North")
    hall = LocationFactory(name="Hall", parent=site)
    other = LocationFactory(name="South")
    line = AssetFactory(asset_id="LINE", asset_type="system", tags=["prod"])
    AssetFactory(
        asset_id="M1",
        asset_type="machinery",
        parent=line,
        location=hall,
        status="repair",
        criticality="critical",
        department="Production",
        tags=["prod", "press"],
        condition="poor",
        manufacturer="Schuler",
        name="Big press",
    )
    AssetFactory(
        asset_id="M2",
        asset_type="machinery",
        parent=line,
        location=site,
        criticality="low",
        department="production",
        name="Small press",
    )
    AssetFactory(
        asset_id="V1",
        asset_type="vehicle",
        location=other,
        criticality="high",
        name="Truck",
        serial_number="SN-XYZ",
    )
    return {"site": site, "hall": hall, "other": other}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"asset_type": "machinery"}, ["M1", "M2"]),
        ({"asset_type": ["machinery", "vehicle"]}, ["M1", "M2", "V1"]),
        ({"status": "repair"}, ["M1"]),
        ({"condition": "poor"}, ["M1"]),
        ({"criticality": "critical"}, ["M1"]),
        ({"parent": "LINE"}, ["M1", "M2"]),
        ({"parent": "none"}, ["LINE", "V1"]),
        ({"department": "PRODUCTION"}, ["M1", "M2"]),
        ({"tag": "press"}, ["M1"]),
        ({"tag": "prod"}, ["LINE", "M1"]),
        ({"search": "press"}, ["M1", "M2"]),
        ({"search": "sn-xyz"}, ["V1"]),
        ({"search": "schuler"}, ["M1"]),
    ],
)
def test_filters(api, catalogue, query, expected):
    response = api("viewer").get("/api/v1/assets/", query)

    assert response.status_code == 200
    assert [a["asset_id"] for a in response.json()["results"]] == expected


def test_location_filter_includes_places_inside(api, catalogue):
    client = api("viewer")

    at_site = client.get("/api/v1/assets/", {"location": catalogue["site"].pk}).json()["results"]
    in_hall = client.get("/api/v1/assets/", {"location": catalogue["hall"].pk}).json()["results"]

    assert [a["asset_id"] for a in at_site] == ["M1", "M2"]
    assert [a["asset_id"] for a in in_hall] == ["M1"]


def test_ordering_by_criticality_is_by_rank_not_alphabet(api, catalogue):
    rows = (
        api("viewer")
        .get("/api/v1/assets/", {"ordering": "-criticality_rank,asset_id"})
        .json()["results"]
    )

    assert [a["asset_id"] for a in rows] == ["M1", "V1", "LINE", "M2"]


@pytest.mark.parametrize("query", [{"location": "abc"}, {"status": "x"}, {"location": ""}])
def test_bad_filter_values_are_400(api, catalogue, query):
    assert api("viewer").get("/api/v1/assets/", query).status_code == 400


@pytest.mark.parametrize("location", ["999999", "99999999999999999999"])
def test_a_filter_on_an_id_that_does_not_exist_is_an_empty_list(api, catalogue, location):
    response = api("viewer").get("/api/v1/assets/", {"location": location})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_list_makes_the_same_number_of_queries_for_10_and_100_rows(api, in_alpha):
    site = LocationFactory(name="Site")
    parent = AssetFactory(asset_id="ROOT", location=site)
    for _ in range(100):
        AssetFactory(parent=parent, location=site, tags=["t"])
    client = api("viewer")

    def count(page_size):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/assets/", {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        return len(queries)

    assert count(10) == count(100)


@pytest.mark.parametrize(
    ("role", "method", "path", "allowed"),
    [
        ("viewer", "get", "/api/v1/assets/", True),
        ("viewer", "post", "/api/v1/assets/", False),
        ("viewer", "patch", "/api/v1/assets/X-1/", False),
        ("viewer", "delete", "/api/v1/assets/X-1/", False),
        ("requester", "get", "/api/v1/assets/", True),
        ("requester", "post", "/api/v1/assets/", False),
        ("technician", "get", "/api/v1/assets/", True),
        ("technician", "post", "/api/v1/assets/", False),
        ("technician", "patch", "/api/v1/assets/X-1/", False),
        ("technician", "delete", "/api/v1/assets/X-1/", False),
        ("planner", "post", "/api/v1/assets/", True),
        ("planner", "delete", "/api/v1/assets/X-1/", True),
        ("manager", "delete", "/api/v1/assets/X-1/", True),
    ],
)
def test_roles_on_the_register(api, in_alpha, role, method, path, allowed):
    AssetFactory(asset_id="X-1")
    payload = (
        {"asset_id": "NEW-1", "name": "New", "asset_type": "tool"}
        if method == "post"
        else {"name": "Renamed"}
    )

    response = getattr(api(role), method)(path, payload if method in {"post", "patch"} else None)

    assert (response.status_code < 300) is allowed, (response.status_code, response.content)
    if not allowed:
        assert response.status_code == 403


def test_assets_of_another_tenant_are_invisible_and_untouchable(api, alpha, beta):
    with tenant_context(beta.tenant):
        AssetFactory(asset_id="BETA-ONLY")
    client = api("manager", tenant=alpha)

    assert client.get("/api/v1/assets/BETA-ONLY/").status_code == 404
    assert client.patch("/api/v1/assets/BETA-ONLY/", {"name": "hijacked"}).status_code == 404
    assert client.delete("/api/v1/assets/BETA-ONLY/").status_code == 404
    assert client.get("/api/v1/assets/").json()["count"] == 0
    child = client.post(
        "/api/v1/assets/",
        {"asset_id": "C", "name": "C", "asset_type": "tool", "parent": "BETA-ONLY"},
    )
    assert child.status_code == 400
    with tenant_context(beta.tenant):
        assert Asset.objects.get(asset_id="BETA-ONLY").name != "hijacked"
