"""The platform admin on the public domain: tenants, their domains, beat schedules."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from unfold.admin import StackedInline, TabularInline
from unfold.sites import UnfoldAdminSite

from core.admin import AuditEntryAdmin, JobRunAdmin, UserAdmin
from core.admin_site import build_navigation
from core.admin_tools import ThemedAdmin
from core.exceptions import InvalidInput
from core.models import AuditEntry, JobRun, User
from tenants.models import Domain, Tenant
from tenants.services import tenant_provision, validate_provision_input


class PlatformAdminSite(UnfoldAdminSite):
    site_header = "CMMS platform administration"
    site_title = "CMMS platform"
    index_title = "Tenants and platform"
    # Its own menu and no tenant dashboard (see UNFOLD_PLATFORM).
    settings_name = "UNFOLD_PLATFORM"


platform_site = PlatformAdminSite(name="platform_admin")


def platform_navigation(request: HttpRequest) -> list[dict[str, Any]]:
    return build_navigation(platform_site, request, [])


def themed(model_admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """The same admin in the back office's theme (for admins other packages ship)."""
    if issubclass(model_admin_class, ThemedAdmin):
        return model_admin_class
    inlines = [
        inline
        if issubclass(inline, TabularInline | StackedInline)
        else type(
            inline.__name__,
            (inline, TabularInline if issubclass(inline, admin.TabularInline) else StackedInline),
            {},
        )
        for inline in model_admin_class.inlines
    ]
    return type(model_admin_class.__name__, (model_admin_class, ThemedAdmin), {"inlines": inlines})


class TenantProvisionForm(forms.ModelForm):
    domain = forms.CharField(help_text="Host name of the tenant, e.g. acme.example.com")
    admin_email = forms.EmailField(help_text="The first manager; signs in with this address.")
    admin_password = forms.CharField(widget=forms.PasswordInput, strip=False)

    class Meta:
        model = Tenant
        fields = ("name", "schema_name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            validate_provision_input(
                data.get("schema_name", ""),
                data.get("domain", "").strip().lower(),
                data.get("name", ""),
                data.get("admin_email", ""),
            )
        except InvalidInput as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    self.add_error(field if field in self.fields else None, error)
        return data


class DomainInline(TabularInline):
    model = Domain
    extra = 0
    fields = ("domain", "is_primary")


@admin.register(Tenant, site=platform_site)
class TenantAdmin(ThemedAdmin):
    list_display = ("name", "schema_name", "ready", "created_at")
    list_filter = ("ready",)
    search_fields = ("name", "schema_name", "domains__domain")
    inlines = [DomainInline]

    def get_form(self, request: HttpRequest, obj: Tenant | None = None, **kwargs: Any):
        if obj is None:
            kwargs["form"] = TenantProvisionForm
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Tenant | None):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request: HttpRequest, obj: Tenant | None = None):
        return ("schema_name", "ready", "created_at") if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Tenant | None = None):
        if obj is None:
            return ("name", "schema_name", "domain", "admin_email", "admin_password")
        return ("name", "schema_name", "ready", "created_at")

    def save_model(
        self, request: HttpRequest, obj: Tenant, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            obj.save(update_fields=["name", "updated_at"])
            return
        data = form.cleaned_data
        result = tenant_provision(
            schema_name=data["schema_name"],
            domain=data["domain"],
            name=data["name"],
            admin_email=data["admin_email"],
            admin_password=data["admin_password"],
            by=request.user,
        )
        obj.pk = result.tenant.pk
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: Tenant | None = None) -> bool:
        # Dropping a tenant's schema is an operation for a runbook, not a click.
        return False


platform_site.register(User, UserAdmin)
platform_site.register(Group, themed(GroupAdmin))
platform_site.register(AuditEntry, AuditEntryAdmin)
platform_site.register(JobRun, JobRunAdmin)


def adopt_platform_models() -> None:
    """Move the beat schedule admin from the tenant admin to the platform admin."""
    for model, model_admin in list(admin.site._registry.items()):
        if model._meta.app_label == "django_celery_beat":
            admin.site.unregister(model)
            if not platform_site.is_registered(model):
                platform_site.register(model, themed(type(model_admin)))
