"""Uploaded files are stored under their tenant's own directory."""

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

pytestmark = pytest.mark.django_db


def test_files_land_in_a_directory_per_tenant(alpha, beta):
    with tenant_context(alpha.tenant):
        alpha_name = default_storage.save("photos/pump.txt", ContentFile(b"alpha"))
        alpha_path = default_storage.path(alpha_name)
    with tenant_context(beta.tenant):
        beta_name = default_storage.save("photos/pump.txt", ContentFile(b"beta"))
        beta_path = default_storage.path(beta_name)
        assert default_storage.open(beta_name).read() == b"beta"

    try:
        assert alpha_path.startswith(str(settings.MEDIA_ROOT / alpha.schema) + "/")
        assert beta_path.startswith(str(settings.MEDIA_ROOT / beta.schema) + "/")
        # Same name in both tenants, no renaming: they are different files.
        assert alpha_name == beta_name == "photos/pump.txt"
        with tenant_context(alpha.tenant):
            assert default_storage.open(alpha_name).read() == b"alpha"
    finally:
        with tenant_context(alpha.tenant):
            default_storage.delete(alpha_name)
        with tenant_context(beta.tenant):
            default_storage.delete(beta_name)
