"""Production: secrets must come from the environment; HTTPS everywhere."""

import os

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *
from config.settings.env import env_bool, env_int, env_list

DEBUG = False
if "SECRET_KEY" not in os.environ:
    raise ImproperlyConfigured("SECRET_KEY must be set in production")
SECRET_KEY = os.environ["SECRET_KEY"]
SIMPLE_JWT["SIGNING_KEY"] = os.environ.get("JWT_SIGNING_KEY", SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe these over plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^metrics$"]
if env_bool("TRUST_X_FORWARDED_PROTO", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
