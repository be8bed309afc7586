"""The tenants of the installation: one PostgreSQL schema each, reached by domain."""

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Tenant(TenantMixin):
    """A maintenance organisation with its own schema, users and data.

    ``ready`` turns true when provisioning has finished; jobs and sign-ins
    only ever see ready tenants.
    """

    name = models.CharField(max_length=200)
    ready = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Provisioning creates the schema itself (by cloning a template), in its own transaction.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"


class Domain(DomainMixin):
    """A host name that routes to a tenant (``acme.example.com``, ``demo.localhost``)."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
