"""Every admin, of every app, is in the back office's theme (django-unfold)."""

from django.contrib import admin
from unfold.admin import ModelAdmin, StackedInline, TabularInline

from config import urls_public, urls_tenant  # noqa: F401  (as serving does: beat to the platform)
from tenants.admin import platform_site


def test_every_model_admin_and_inline_is_themed():
    for site in (admin.site, platform_site):
        for model, model_admin in site._registry.items():
            assert isinstance(model_admin, ModelAdmin), f"{model._meta.label} on {site.name}"
            for inline in model_admin.inlines:
                assert issubclass(inline, TabularInline | StackedInline), (model, inline)


def test_token_tables_are_not_in_the_tenant_admin():
    labels = {model._meta.app_label for model in admin.site._registry}
    assert "token_blacklist" not in labels
    assert "django_celery_beat" not in labels
    assert "tenants" not in labels
