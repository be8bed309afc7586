"""Settings shared by every environment; each value comes from the environment."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.settings.env import env_bool, env_int, env_list, env_str
from config.settings.secrets import local_secret

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# From the environment, else generated once into SECRETS_DIR (git-ignored); see secrets.py.
SECRETS_DIR = Path(env_str("SECRETS_DIR", str(BASE_DIR / "var" / "secrets")))
SECRET_KEY = local_secret("SECRET_KEY", SECRETS_DIR)
# Tokens are signed with a key of their own: rotating it signs everyone out and nothing else.
JWT_SIGNING_KEY = local_secret("JWT_SIGNING_KEY", SECRETS_DIR)
# Secrets kept in the database (notification tokens, other CMMS products' credentials) are
# encrypted: the first key encrypts, every key decrypts (rotation: see core.crypto).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", "") or [
    local_secret("FIELD_ENCRYPTION_KEY", SECRETS_DIR)
]
DEBUG = env_bool("DEBUG", False)
# `.localhost` admits every tenant of a development machine (demo.localhost, ...).
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,.localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# --- Tenancy -----------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    # The admin's theme (before django.contrib.admin: its templates win).
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "django_prometheus",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "channels",
    # core holds the user model and audit log; both schemas need them
    # (platform staff live in public, each tenant's people in its own schema).
    "core",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "rest_framework_simplejwt.token_blacklist",
    "core",
    # Below the domain apps: any of them may tell people through it (see core.events).
    "notifications",
    "assets",
    # Before maintenance: work orders consume parts, and demo data is seeded in this order.
    "inventory",
    "maintenance",
    "sla",
    "iot",
    "cmms_sync",
    "analytics",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
# Host names of the platform itself (platform admin, sign-up by staff).
PUBLIC_DOMAINS = [host.lower() for host in env_list("PUBLIC_DOMAINS", "localhost,127.0.0.1")]
ROOT_URLCONF = "config.urls_tenant"
# New tenants are cloned from this schema, which is kept migrated; see tenants.provisioning.
TENANT_TEMPLATE_SCHEMA = "tenant_template"

DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Issue `SET search_path` once per schema switch instead of before every query (it
# doubled the statements of every request). django-tenants forgets the setting on
# rollback, savepoint rollback and close, where PostgreSQL undoes it.
TENANT_LIMIT_SET_CALLS = True
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cmms"),
        engine="django_tenants.postgresql_backend",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", "test_cmms")}
# The web server's connections come from a pool (psycopg_pool) shared by the threads that
# serve its requests: under ASGI each request runs in a thread of its own, so without a
# pool every request would open (and authenticate) a new connection. config.asgi turns
# it on; Celery's forked workers and the commands keep Django's plain connections.
# A request that waits longer than DATABASE_POOL_TIMEOUT for a connection answers 503.
DATABASE_POOL_TIMEOUT = env_int("DATABASE_POOL_TIMEOUT", 10)
if env_bool("DATABASE_POOL", False):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN", 2),
        "max_size": env_int("DATABASE_POOL_MAX", 10),
        "timeout": DATABASE_POOL_TIMEOUT,
    }
# A request is all or nothing: a view that calls several services (approve a request,
# then assign the work order) never leaves half of its work behind when a later step fails.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestIdMiddleware",
    "core.middleware.OperationsEndpointsMiddleware",
    "core.middleware.TenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, so the chain runs in one thread under ASGI (see its docstring).
    "core.middleware.SyncRequestChainMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Uploaded files land under <MEDIA_ROOT>/<schema>/..., never shared between tenants.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Redis: cache, channel layer, event pub/sub, Celery broker ---------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
# A dead Redis must cost a request milliseconds, not the OS default TCP timeout.
REDIS_SOCKET_TIMEOUT = float(env_str("REDIS_SOCKET_TIMEOUT", "0.5"))

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cmms"),
        "OPTIONS": {
            "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
        },
    }
}

CHANNEL_LAYER_READ_TIMEOUT = float(env_str("CHANNEL_LAYER_READ_TIMEOUT", "30"))
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": REDIS_URL,
                    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                    # Each consumer waits on Redis (BZPOPMIN) for up to 5 seconds at a time;
                    # redis-py's default read timeout is also 5 seconds, and hitting it ended
                    # every idle WebSocket. A longer bound keeps idle feeds open for hours and
                    # still notices a dead Redis.
                    "socket_timeout": CHANNEL_LAYER_READ_TIMEOUT,
                    "socket_keepalive": True,
                }
            ],
            "prefix": env_str("CHANNEL_LAYER_PREFIX", "cmms:asgi"),
            "capacity": 1000,
            "expiry": 60,
        },
    }
}

# --- The back office (the admin, themed by django-unfold) -------------------------
PRODUCT_NAME = "CMMS"
UNFOLD = {
    "SITE_TITLE": "core.admin_site.site_title",
    "SITE_HEADER": "core.admin_site.site_header",
    "SITE_SUBHEADER": "core.admin_site.site_subheader",
    "SITE_SYMBOL": "build",
    "SITE_URL": "/admin/",
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_HISTORY": True,
    "DASHBOARD_CALLBACK": "core.admin_site.dashboard",
    "SIDEBAR": {
        "show_search": True,
        # Only the groups below: platform-only and token tables never reach a manager's menu.
        "show_all_applications": False,
        "navigation": "core.admin_site.tenant_navigation",
    },
    "STYLES": ["core.admin_site.stylesheet"],
}
# The admin is the only signed-in page: its sign-in form (without ?next=) lands there.
LOGIN_REDIRECT_URL = "/admin/"
# The platform admin (public schema) has its own menu: tenants, staff, beat schedules.
UNFOLD_PLATFORM = {
    **UNFOLD,
    "SITE_HEADER": "CMMS platform",
    "SITE_SUBHEADER": "Tenants and platform",
    "DASHBOARD_CALLBACK": None,
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": "tenants.admin.platform_navigation",
    },
}

# --- REST API ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["core.auth.tokens.TenantJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["core.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filtering.ContractFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.TenantRateThrottle",
        "core.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, as the contract says; uploads name the multipart parser on their routes.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.openapi.ContractAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": False,
    # JSON only; `?format=` is free for endpoints that answer in other media (QR codes).
    "URL_FORMAT_OVERRIDE": None,
}

# Requests per minute; generous for real use, strict for failed logins.
RATE_LIMIT_TENANT_PER_MINUTE = env_int("RATE_LIMIT_TENANT_PER_MINUTE", 20000)
RATE_LIMIT_USER_PER_MINUTE = env_int("RATE_LIMIT_USER_PER_MINUTE", 1000)
RATE_LIMIT_ANON_PER_MINUTE = env_int("RATE_LIMIT_ANON_PER_MINUTE", 120)
# Proxies of the operator's in front of the application (load balancers, ingress). Each
# appends to X-Forwarded-For; only that many entries from the right are believed, so a
# client cannot pick the address its limits are counted under. 0: the connection's peer.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
LOGIN_FAILURES_ALLOWED = env_int("LOGIN_FAILURES_ALLOWED", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)

SPECTACULAR_SETTINGS = {
    "TITLE": "CMMS API",
    "DESCRIPTION": (
        "Maintenance management: assets, work orders, preventive maintenance, inventory, "
        "SLAs, IoT and external CMMS sync. Every route lives on a tenant's domain; "
        "authenticate with `Authorization: Bearer <access JWT>` from `/api/v1/auth/token/`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Choice sets that share a field name (status) or the same values (low..critical)
    # get one explicit name each in the schema.
    "ENUM_NAME_OVERRIDES": {
        "AssetStatusEnum": "assets.choices.AssetStatus",
        "AlertStatusEnum": "assets.choices.AlertStatus",
        "LevelEnum": "assets.choices.Severity",
        "AlertSourceEnum": "assets.choices.AlertSource",
        "AssetLocationKindEnum": "assets.choices.LocationKind",
        "PurchaseOrderStatusEnum": "inventory.choices.PurchaseOrderStatus",
        "StockLocationKindEnum": "inventory.choices.LocationKind",
        "StockMovementKindEnum": "inventory.choices.MovementKind",
        "PartUnitEnum": "inventory.choices.Unit",
        "AdjustmentReasonEnum": "inventory.choices.AdjustmentReason",
        "WorkOrderStatusEnum": "maintenance.choices.Status",
        "WorkTypeEnum": "maintenance.choices.WorkType",
        "TriggerTypeEnum": "maintenance.choices.TriggerType",
        "FrequencyEnum": "maintenance.choices.Frequency",
        "WorkOrderSourceEnum": "maintenance.choices.Source",
        "WorkRequestStatusEnum": "maintenance.choices.RequestStatus",
        "StepKindEnum": "maintenance.choices.StepKind",
        "HistoryKindEnum": "maintenance.choices.HistoryKind",
        "ChannelKindEnum": "notifications.choices.ChannelKind",
        "DeliveryStatusEnum": "notifications.choices.DeliveryStatus",
        "ClockEnum": "sla.choices.Clock",
        "SyncRunStatusEnum": "cmms_sync.choices.RunStatus",
        "SyncEntityEnum": "cmms_sync.choices.Entity",
        "SyncRunEntityEnum": "cmms_sync.choices.RunEntity",
        "SyncDirectionEnum": "cmms_sync.choices.Direction",
        "SlaStateEnum": "maintenance.api.serializers.SLA_STATES",
        "RoleEnum": "core.roles.Role",
    },
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_TOKEN_CLASSES": ("core.auth.tokens.TenantAccessToken",),
    "TOKEN_OBTAIN_SERIALIZER": "core.auth.serializers.TenantTokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "core.auth.serializers.TenantTokenRefreshSerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "core.auth.serializers.TenantTokenBlacklistSerializer",
}

# --- Celery ------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
# A task whose worker dies mid-run goes back on the queue instead of vanishing.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Must exceed the longest task, or Redis hands an unacked task to a second worker.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Workers log through Django's LOGGING (structlog JSON), like the web process.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_TENANT_CACHE_SECONDS = 30

# How often the SLA monitor looks for clocks past their warning or due point.
SLA_MONITOR_EVERY_SECONDS = max(1, env_int("SLA_MONITOR_EVERY_SECONDS", 60))
# Notification deliveries: attempts before one is given up as failed, and the first pause
# between attempts (each next one four times as long: 30 s, 2 min, 8 min, 32 min).
NOTIFICATION_MAX_ATTEMPTS = max(1, env_int("NOTIFICATION_MAX_ATTEMPTS", 5))
NOTIFICATION_RETRY_SECONDS = max(1, env_int("NOTIFICATION_RETRY_SECONDS", 30))
# A delivery whose attempt is this late (its task lost with a broker or worker) is sent again.
NOTIFICATION_SWEEP_EVERY_SECONDS = max(10, env_int("NOTIFICATION_SWEEP_EVERY_SECONDS", 300))

# Every periodic job is one beat entry that fans out to each ready tenant.
# name -> (task run per tenant, seconds between runs, spread in seconds)
# How often the predictive job opens work for assets predicted to fail soon.
PREDICTIVE_EVERY_SECONDS = max(60, env_int("PREDICTIVE_EVERY_SECONDS", 3600))

TENANT_PERIODIC_JOBS: dict[str, tuple[str, int, int]] = {
    "flush-expired-tokens": ("core.tasks.flush_expired_tokens", 24 * 3600, 600),
    "sweep-orphaned-attachments": (
        "maintenance.tasks.sweep_orphaned_attachments",
        24 * 3600,
        600,
    ),
    "generate-preventive-maintenance": (
        "maintenance.tasks.generate_preventive_maintenance",
        env_int("PM_GENERATION_EVERY_SECONDS", 15 * 60),
        120,
    ),
    # Spread over at most half the interval, so one tenant's passes never overlap.
    "sla-monitor": (
        "sla.tasks.monitor",
        SLA_MONITOR_EVERY_SECONDS,
        min(10, SLA_MONITOR_EVERY_SECONDS // 2),
    ),
    "resend-stalled-notifications": (
        "notifications.tasks.resend_stalled",
        NOTIFICATION_SWEEP_EVERY_SECONDS,
        30,
    ),
    # Creates the monthly reading partitions ahead and drops those past retention.
    "iot-partitions": ("iot.tasks.maintain_partitions", 6 * 3600, 600),
    # Each tenant queues the runs of its connections due by their schedule_minutes.
    "cmms-sync-schedule": (
        "cmms_sync.tasks.schedule_due",
        env_int("CMMS_SYNC_SCHEDULE_EVERY_SECONDS", 60),
        20,
    ),
    # Brokers with device logins (MQTT_BROKER_AUTH=dynsec) kept in step with the tokens.
    "iot-broker-clients": ("iot.tasks.reconcile_broker_clients", 6 * 3600, 600),
    # Remaining-life models learn each week from the week's new readings and failures.
    "iot-retrain-models": ("iot.tasks.retrain_models", 7 * 24 * 3600, 3600),
    "iot-predictive-work": (
        "iot.tasks.open_predictive_work",
        PREDICTIVE_EVERY_SECONDS,
        min(300, PREDICTIVE_EVERY_SECONDS // 2),
    ),
}

# --- IoT ---------------------------------------------------------------------
# Readings older than this are dropped, a whole monthly partition at a time (a month is
# dropped once its last day is older), and refused at ingestion.
IOT_RETENTION_DAYS = max(1, env_int("IOT_RETENTION_DAYS", 400))
# Monthly partitions kept ready ahead of the current month.
IOT_PARTITION_MONTHS_AHEAD = max(1, env_int("IOT_PARTITION_MONTHS_AHEAD", 3))
# Readings in one request or MQTT message, and the largest body the metrics route reads.
IOT_MAX_BATCH = 10_000
IOT_MAX_BODY_BYTES = env_int("IOT_MAX_BODY_BYTES", 4 * 1024 * 1024)
# Online anomaly detection per (device, metric): weight of each new reading in the
# running mean and variance, readings seen before judging, and how far (in standard
# deviations) a reading must stray to be anomalous.
IOT_EWMA_ALPHA = float(env_str("IOT_EWMA_ALPHA", "0.1"))
IOT_ANOMALY_WARMUP = max(2, env_int("IOT_ANOMALY_WARMUP", 20))
IOT_ANOMALY_Z = float(env_str("IOT_ANOMALY_Z", "4"))
# An anomaly episode ends after this many normal readings of the metric in a row.
IOT_EPISODE_CLEAR_READINGS = max(1, env_int("IOT_EPISODE_CLEAR_READINGS", 10))
# The broker the MQTT bridge subscribes to.
MQTT_URL = env_str("MQTT_URL", "mqtt://127.0.0.1:1883")
# Bridges of one installation share the subscription (each message goes to one of them);
# empty: a plain subscription.
MQTT_SHARED_GROUP = env_str("MQTT_SHARED_GROUP", "cmms")
# How long the bridge gathers messages into one batch, and its longest reconnect pause.
MQTT_BATCH_SECONDS = float(env_str("MQTT_BATCH_SECONDS", "0.2"))
MQTT_MAX_BACKOFF_SECONDS = max(1, env_int("MQTT_MAX_BACKOFF_SECONDS", 30))
# How devices prove who they are on MQTT. "payload": the device token in the message's
# `token` field (any broker, anonymous ones included). "dynsec": also as the MQTT password,
# which needs a broker with the dynamic-security plugin (its ACLs let a device's client
# publish only on its own topic); every device token then gets a broker client of its own.
MQTT_BROKER_AUTH = env_str("MQTT_BROKER_AUTH", "payload")
if MQTT_BROKER_AUTH not in ("payload", "dynsec"):
    raise ImproperlyConfigured('MQTT_BROKER_AUTH must be "payload" or "dynsec".')
# The dynamic-security admin (the $CONTROL topic); empty: the login of MQTT_URL.
MQTT_ADMIN_USERNAME = env_str("MQTT_ADMIN_USERNAME", "")
MQTT_ADMIN_PASSWORD = env_str("MQTT_ADMIN_PASSWORD", "")
# How long one exchange with the broker's control topic may take.
MQTT_CONTROL_TIMEOUT_SECONDS = float(env_str("MQTT_CONTROL_TIMEOUT_SECONDS", "10"))

# --- Email -------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cmms@localhost")

# --- Logging: JSON lines carrying the request id -----------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": "core.observability.logging.structlog_formatter",
            "format_name": LOG_FORMAT,
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"level": "WARNING"},
        # Their request lines carry the URL, and some vendors take keys in the query
        # string (Fiix): never at a level that is logged.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

OTEL_EXPORTER_OTLP_ENDPOINT = env_str("OTEL_EXPORTER_OTLP_ENDPOINT", "")
OTEL_SERVICE_NAME = env_str("OTEL_SERVICE_NAME", "cmms")

# Largest upload accepted (photos and documents on work orders and requests).
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# Stored files no attachment points at are deleted once they are this old (see the
# orphan sweep); long enough that no upload still inside its transaction is touched.
ATTACHMENT_ORPHAN_GRACE_HOURS = env_int("ATTACHMENT_ORPHAN_GRACE_HOURS", 24)

# Reports through an asset's public QR form, per hour.
PUBLIC_FORM_PER_CLIENT_PER_HOUR = env_int("PUBLIC_FORM_PER_CLIENT_PER_HOUR", 10)
PUBLIC_FORM_PER_ASSET_PER_HOUR = env_int("PUBLIC_FORM_PER_ASSET_PER_HOUR", 30)
# One client's share of an asset's reports, so no single client can use up the asset's.
PUBLIC_FORM_PER_CLIENT_PER_ASSET_PER_HOUR = env_int("PUBLIC_FORM_PER_CLIENT_PER_ASSET_PER_HOUR", 3)

# Health check: how long to wait for Celery workers to answer a ping.
HEALTH_CELERY_TIMEOUT = float(env_str("HEALTH_CELERY_TIMEOUT", "1.0"))

# Public URL pattern of a tenant (used in links printed and e-mailed).
TENANT_URL_SCHEME = env_str("TENANT_URL_SCHEME", "http")
TENANT_URL_PORT = env_str("TENANT_URL_PORT", "8000")

# Outbound calls to tenants' targets (webhooks, other CMMS products) go to public https
# addresses only; these networks (CIDRs) are allowed too, over http or https.
OUTBOUND_ALLOWED_NETWORKS = env_list("OUTBOUND_ALLOWED_NETWORKS", "")

# --- Sync with other CMMS products (cmms_sync) ----------------------------------
# Each call to a vendor: the time it may take, the size of its answer, and how often it
# is tried (backoff from CMMS_SYNC_RETRY_SECONDS doubling up to the max, with jitter;
# a Retry-After is honoured up to its own cap).
CMMS_SYNC_TIMEOUT_SECONDS = float(env_int("CMMS_SYNC_TIMEOUT_SECONDS", 30))
CMMS_SYNC_MAX_RESPONSE_BYTES = env_int("CMMS_SYNC_MAX_RESPONSE_BYTES", 50 * 1024 * 1024)
CMMS_SYNC_ATTEMPTS = max(1, env_int("CMMS_SYNC_ATTEMPTS", 5))
CMMS_SYNC_RETRY_SECONDS = float(env_int("CMMS_SYNC_RETRY_SECONDS", 2))
CMMS_SYNC_RETRY_MAX_SECONDS = float(env_int("CMMS_SYNC_RETRY_MAX_SECONDS", 60))
CMMS_SYNC_RETRY_AFTER_MAX_SECONDS = float(env_int("CMMS_SYNC_RETRY_AFTER_MAX_SECONDS", 300))
# A queued or running run that shows no progress for this long lost its worker or its
# message; the next request for that connection ends it as failed instead of a 409.
CMMS_SYNC_STALE_RUN_MINUTES = max(1, env_int("CMMS_SYNC_STALE_RUN_MINUTES", 60))

# When set, /metrics requires `Authorization: Bearer <token>`.
METRICS_BEARER_TOKEN = env_str("METRICS_BEARER_TOKEN", "")
