"""OpenAPI description of our tenant-bound bearer tokens."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class TenantJWTScheme(SimpleJWTScheme):
    target_class = "core.auth.tokens.TenantJWTAuthentication"
    name = "jwtAuth"
