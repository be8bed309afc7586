"""Test settings: the real PostgreSQL and Redis, on a Redis database of their own."""

import os

from config.settings.base import *
from config.settings.env import env_str

# Each xdist worker gets its own Redis database so throttles and groups never collide.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_redis_db = 15 - int(_worker.removeprefix("gw") or 0)
REDIS_URL = env_str("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{_redis_db}")
CACHES["default"]["LOCATION"] = REDIS_URL
CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"] = REDIS_URL
CELERY_BROKER_URL = REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
MEDIA_ROOT = BASE_DIR / "var" / "test-media" / _worker
LOG_FORMAT = "json"
LOG_LEVEL = "WARNING"
LOGGING["root"]["level"] = LOG_LEVEL
HEALTH_CELERY_TIMEOUT = 0.5

# Vendor fakes answer at once: retry quickly, and give a stalled fake little time.
CMMS_SYNC_TIMEOUT_SECONDS = 2.0
CMMS_SYNC_ATTEMPTS = 3
CMMS_SYNC_RETRY_SECONDS = 0.01
CMMS_SYNC_RETRY_MAX_SECONDS = 0.05
CMMS_SYNC_RETRY_AFTER_MAX_SECONDS = 1.0
# The live server of the browser tests serves the admin's static files straight from the
# apps (no collectstatic before a test run).
WHITENOISE_USE_FINDERS = True
