"""Every write in the tenant admin goes through a service, so it is audited.

On the demo tenant, for every registered model a manager may change or delete:
the change form is posted back as a browser would, with one text field edited,
and the bulk "delete selected" action is run on one object. Each must leave an
audit entry for that object, or (for a delete a service refuses) keep the
object and say why. A plain ModelAdmin save or delete would do neither.
"""

from html.parser import HTMLParser

import pytest
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import models
from django.urls import reverse
from django_tenants.utils import tenant_context

from config import urls_tenant
from core.models import AuditEntry

pytestmark = pytest.mark.django_db
URLS = urls_tenant.__name__


class FormFields(HTMLParser):
    """The fields a browser would submit from the admin's change form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self.text_fields: list[str] = []
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id", "").endswith("_form"):
            self._in_form = True
        if not self._in_form or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "image"):
                self.data.append((name, a.get("value", "")))
                if kind == "text" and "-" not in name:
                    self.text_fields.append(name)
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.append((self._textarea, self._text.removeprefix("\n")))
            if "-" not in self._textarea:
                self.text_fields.append(self._textarea)
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def _editable_text_field(model: type[models.Model], candidates: list[str]) -> str | None:
    names = {field.name for field in model._meta.get_fields()}
    for name in candidates:
        if name not in names:  # a form-only field (password, role)
            continue
        field = model._meta.get_field(name)
        if isinstance(field, models.CharField | models.TextField) and not field.choices:
            return name
    return None


def _errors(response) -> object:
    context = response.context or {}
    errors = [context["adminform"].form.errors] if "adminform" in context else []
    errors += [formset.formset.errors for formset in context.get("inline_admin_formsets", [])]
    return errors


def _refusals(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == messages.ERROR]


def _audited(model: type[models.Model], pk: object, action_part: str) -> bool:
    return AuditEntry.objects.filter(
        object_type=model._meta.label_lower, object_id=str(pk), action__contains=action_part
    ).exists()


def test_admin_saves_and_deletes_go_through_the_services(demo_tenant, admin_client):
    client = admin_client("manager", tenant=demo_tenant)
    with tenant_context(demo_tenant.tenant):
        registry = list(admin.site._registry.items())
    saved = deleted = 0
    for model, model_admin in registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        with tenant_context(demo_tenant.tenant):
            pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:2])
        if not pks:
            continue
        change_url = reverse(f"{name}_change", args=[pks[0]], urlconf=URLS)
        page = client.get(change_url)
        form = FormFields()
        form.feed(page.content.decode())
        field = _editable_text_field(model, form.text_fields)
        if field is not None and page.status_code == 200 and b'name="_save"' in page.content:
            data = dict(form.data)
            data.update({key: [v for k, v in form.data if k == key] for key, _ in form.data})
            current = data[field][0] if data[field] else ""
            data[field] = (current[:-2] if len(current) > 40 else current) + "-x"
            data["_save"] = "Save"
            response = client.post(change_url, data, follow=True)
            assert response.redirect_chain, (model, _errors(response))
            with tenant_context(demo_tenant.tenant):
                if _audited(model, pks[0], "update"):
                    saved += 1
                else:  # refused by the service (a closed work order, say), and said so
                    assert _refusals(response), f"{model._meta.label}: save not audited"

        victim = pks[-1]
        changelist = reverse(f"{name}_changelist", urlconf=URLS)
        response = client.post(
            changelist,
            {"action": "delete_selected", ACTION_CHECKBOX_NAME: [victim], "post": "yes"},
            follow=True,
        )
        with tenant_context(demo_tenant.tenant):
            still_there = model._default_manager.filter(pk=victim).exists()
            if not still_there:
                assert _audited(model, victim, "delete"), f"{model._meta.label}: delete not audited"
                deleted += 1
            elif "delete_selected" in model_admin.get_actions(response.wsgi_request):
                # Refused (by the service, or by Django for objects still referenced):
                # the object stays and the manager is told why.
                refused = response.status_code == 403 or response.context.get("protected")
                assert refused or _refusals(response), model._meta.label
    assert saved >= 8
    assert deleted >= 3


# What a person types into each button's form; a button not listed here fails the test
# below, so a new button cannot arrive without being pressed by it.
BUTTON_FORMS = {
    "move-plan": {"apply": "1"},
    "move-assign": {"assigned_to": "{technician}"},
    "move-start": {"apply": "1"},
    "move-hold": {"reason": "waiting for parts"},
    "move-resume": {"apply": "1"},
    "move-complete": {"actual_hours": "1", "parts-TOTAL_FORMS": "0", "parts-INITIAL_FORMS": "0"},
    "move-cancel": {"reason": "raised twice"},
    "approve": {"priority": "high", "assigned_to": "{technician}"},
    "reject": {"reason": "not ours"},
}


def test_every_button_on_a_change_page_goes_through_a_service(demo_tenant, admin_client):
    """Each button of each change page (a work order's moves, a request's review) is
    pressed on a demo object that shows it, and leaves an audit entry for that object."""
    client = admin_client("manager", tenant=demo_tenant)
    technician = str(demo_tenant.users["technician"].pk)
    with tenant_context(demo_tenant.tenant):
        registry = [(m, a) for m, a in admin.site._registry.items() if a.actions_detail]
    assert registry, "no admin has buttons on its change pages"
    for model, model_admin in registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        paths = {model_admin.get_unfold_action(a).path for a in model_admin.actions_detail}
        assert paths <= set(BUTTON_FORMS), paths - set(BUTTON_FORMS)
        with tenant_context(demo_tenant.tenant):
            # A few objects in each status: between them they show every button.
            objects = model._default_manager
            statuses = sorted(set(objects.values_list("status", flat=True)))
            pks = [
                pk
                for status in statuses
                for pk in objects.filter(status=status)
                .order_by("-pk")
                .values_list("pk", flat=True)[:2]
            ]
        pressed: set[str] = set()
        for pk in pks:
            for _ in paths:
                page = client.get(reverse(f"{name}_change", args=[pk], urlconf=URLS))
                assert page.status_code == 200
                shown = [
                    path for path in paths - pressed if f'/{pk}/{path}/"' in page.content.decode()
                ]
                if not shown:
                    break
                path = shown[0]
                url = page.wsgi_request.path.replace("/change/", f"/{path}/")
                assert client.get(url).status_code == 200, url  # the form, nothing changed
                with tenant_context(demo_tenant.tenant):
                    before = AuditEntry.objects.count()
                data = {k: v.format(technician=technician) for k, v in BUTTON_FORMS[path].items()}
                response = client.post(url, data)
                assert response.status_code == 302, (url, response.content.decode()[:2000])
                with tenant_context(demo_tenant.tenant):
                    new = AuditEntry.objects.order_by("pk")[before:]
                    assert any(
                        entry.object_type == model._meta.label_lower and entry.object_id == str(pk)
                        for entry in new
                    ), f"{path} on {model._meta.label} {pk}: no audit entry"
                pressed.add(path)
        assert pressed == paths, f"{model._meta.label}: never shown: {paths - pressed}"
