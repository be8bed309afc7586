"""Production: secrets must come from the environment; HTTPS everywhere."""

import os

from django.core.exceptions import ImproperlyConfigured

# Checked before the base settings load, so production never generates a key of its own.
for _name in ("SECRET_KEY", "JWT_SIGNING_KEY", "FIELD_ENCRYPTION_KEYS"):
    if not os.environ.get(_name, "").strip():
        raise ImproperlyConfigured(f"{_name} must be set in production")

from config.settings.base import *  # noqa: E402
from config.settings.env import env_bool, env_int, env_list  # noqa: E402

DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe these over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^health/live$", r"^metrics$"]
if env_bool("TRUST_X_FORWARDED_PROTO", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
