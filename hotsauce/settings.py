"""Settings for the hot sauce inventory sync service.

Everything an operator may change comes from the environment (API-CONTRACT.md section 6)
and is parsed strictly by ``hotsauce.env``. With nothing set, the project runs on an
embedded SQLite file and a filesystem Celery broker, so ``make run`` needs only Python.
"""

import os
import warnings
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hotsauce.env import (
    env_bool,
    env_choice,
    env_int,
    env_int_list,
    env_int_map,
    env_list,
    env_networks,
    env_rate,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HOTSAUCE_VAR_DIR", str(BASE_DIR / "var")))

# --- Metrics (before anything imports prometheus_client, which reads this once) --------
# Every web and worker process writes its metrics to files here and /metrics merges them
# (prometheus_client's multiprocess mode). Empty it before starting the processes
# (`make run` does; see README), never while they run.
PROMETHEUS_MULTIPROC_DIR = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics")))
if not PROMETHEUS_MULTIPROC_DIR.is_dir():
    if PROMETHEUS_MULTIPROC_DIR.exists():
        raise ImproperlyConfigured(f"PROMETHEUS_MULTIPROC_DIR={str(PROMETHEUS_MULTIPROC_DIR)!r} is not a directory.")
    PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)
# Who may read /metrics: these networks (contract section 7), or a caller sending
# `Authorization: Bearer <METRICS_BEARER_TOKEN>` when that is set.
METRICS_ALLOWED_IPS = env_networks("METRICS_ALLOWED_IPS", ["127.0.0.0/8", "::1/128"])
METRICS_BEARER_TOKEN = env_str("METRICS_BEARER_TOKEN")
PROMETHEUS_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, float("inf"))

DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from here: the docs work offline
    "oauth2_provider",
    "django_prometheus",
    "hotsauce.api",
    "partners",
    "partners.attributes",
    "inventory",
    "inventory.promotions",
    "inventory.production",
    "inventory.traceability",
    "inventory.replenishment",
    "orders",
    "orders.feedback",
    "orders.edi",
    "orders.purchasing",
    "webhooks",
    "webhooks.relay",
]

MIDDLEWARE = [
    "hotsauce.proxies.TrustedProxyMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "hotsauce.api.middleware.RequestIdMiddleware",
    "hotsauce.observability.RequestLogMiddleware",
    "hotsauce.api.inputguard.InputGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hotsauce.api.middleware.AdminLoginThrottleMiddleware",
    "hotsauce.api.middleware.StaffStockAuditMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "hotsauce.urls"
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
    },
]
WSGI_APPLICATION = "hotsauce.wsgi.application"
ASGI_APPLICATION = "hotsauce.asgi.application"

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0))}
    except Exception as exc:  # dj-database-url raises several types for one problem
        raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from None
    _pool_max = env_int("DATABASE_POOL_MAX_SIZE", 0)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and _pool_max > 0:
        # Under ASGI every request runs its sync view in its own thread: without a pool each
        # thread opens a connection and PostgreSQL runs out of slots under load.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        # A request waits this long for a pooled connection under a burst before failing.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 2, "max_size": _pool_max, "timeout": env_int("DATABASE_POOL_TIMEOUT", 30)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                # The web server and the Celery worker write concurrently: WAL lets readers
                # go on, IMMEDIATE takes the write lock at BEGIN so two writers queue on
                # busy_timeout instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# hotsauce/asgi.py: API requests run on Django's WSGI handler in this many threads per process
# (the event stream stays on ASGI). README "Serving" has the sizing rule.
API_VIA_WSGI = env_bool("API_VIA_WSGI", True)
WSGI_THREADS = env_int("WSGI_THREADS", 8)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "hotsauce"),
        }
    }
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    # A shared store across web processes without any server: the database itself.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "hotsauce_cache",
        }
    }
    _BROKER_DIR = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    # The filesystem transport has no host; naming one keeps kombu from warning on every connection.
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost//")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }

CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish to a dead broker must fail fast: the outbox row is already committed and the
# beat sweeper will pick it up, so the HTTP request must not hang on retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
# Beat keeps no schedule file (none to lose, no writable directory needed, the same on every
# database): each entry resumes from the periodic-job table (hotsauce/jobs.py).
CELERY_BEAT_SCHEDULER = "hotsauce.jobs:JobScheduler"

# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

OAUTH2_PROVIDER_APPLICATION_MODEL = "partners.ApiClient"
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "SCOPES_BACKEND_CLASS": "partners.oauth.ClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "partners.oauth.AuditingValidator",
    "PKCE_REQUIRED": False,
    # Client secrets are hashed at rest: a database leak does not leak credentials. They are
    # random, so a fast salted hash is as safe as a slow one and keeps the token endpoint cheap.
    "CLIENT_SECRET_HASHER": "client_secret_pbkdf2",
    # Only the client-credentials grant exists here (the password grant was an oracle).
    "OAUTH2_SERVER_CLASS": "oauthlib.oauth2.BackendApplicationServer",
}
# Django's default hashers for staff passwords, plus the client-secret hasher (partners/hashers.py).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "partners.hashers.ClientSecretHasher",
]

# --- i18n / static --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format in the admin, ISO 8601 (hotsauce/formats/en/formats.py).
FORMAT_MODULE_PATH = ["hotsauce.formats"]
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # Not the manifest storage: a deployment that skipped collectstatic must still
            # render the admin (WhiteNoise finds the files), not fail on a missing manifest.
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
# The ASGI app serves its own static files even with DEBUG=0 (contract section 6).
WHITENOISE_USE_FINDERS = True
# WhiteNoise hands Django's ASGI handler a file iterator, which it reads in a thread: harmless for
# static files, and Django's warning about it filled `make run`'s console on every docs page.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators",
                        module="django.core.handlers.asgi")

# --- API ------------------------------------------------------------------------------
API_RATE_LIMIT = env_rate("API_RATE_LIMIT", "600/min")
IDEMPOTENCY_TTL_SECONDS = env_int("IDEMPOTENCY_TTL_SECONDS", 24 * 3600)
# How long a duplicate request waits for the first one with its key before answering 409.
IDEMPOTENCY_WAIT_SECONDS = env_int("IDEMPOTENCY_WAIT_SECONDS", 10)
# Ordinary reservations in two statements on PostgreSQL (docs/stock.md, "The fast path"); off, the
# Python path serves them all.
INVENTORY_FAST_PATH = env_bool("INVENTORY_FAST_PATH", True)
PROBLEM_TYPE_BASE = "https://hotsauce.example/problems/"
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hotsauce.api.auth.BearerTokenAuthentication",
        "hotsauce.api.auth.ApiKeyAuthentication",
        "hotsauce.api.auth.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["hotsauce.api.permissions.ScopePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["hotsauce.api.throttling.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": [
        "hotsauce.api.renderers.CamelCaseJSONRenderer",
        "hotsauce.api.renderers.ProblemJSONRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "djangorestframework_camel_case.parser.CamelCaseJSONParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["hotsauce.api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "hotsauce.api.pagination.CursorPage",
    "DEFAULT_SCHEMA_CLASS": "hotsauce.api.schema.ProblemAwareAutoSchema",
    "EXCEPTION_HANDLER": "hotsauce.api.problems.exception_handler",
    "DEFAULT_METADATA_CLASS": "hotsauce.api.permissions.ApiMetadata",
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "COERCE_DECIMAL_TO_STRING": False,
    "JSON_UNDERSCOREIZE": {"no_underscore_before_number": True},
}
# Attribute keys are the brand's own camelCase names: the parser must not turn
# "limitedEdition" into "limited_edition" inside an ``attributes`` object.
JSON_CAMEL_CASE = {"JSON_UNDERSCOREIZE": {"ignore_fields": ("attributes",)}}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hot sauce inventory sync API",
    "DESCRIPTION": (
        "One true, real-time view of stock for the brand, its suppliers and retail partners. "
        "Errors are RFC 9457 problem details; writes take an `Idempotency-Key`; lists use "
        "cursor pagination. The binding contract is published with the docs as `docs/API-CONTRACT.md`; "
        "`docs/walkthrough.md` goes from a token through an order, shipment, return and recall to a "
        "verified webhook and the event stream, every command runnable as written."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # A PATCH body is what its serializer says (no partial serializers here): `lots` of a count is
    # required, not optional as a "Patched" copy would claim.
    "COMPONENT_SPLIT_PATCH": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "CAMELIZE_NAMES": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.contrib.djangorestframework_camel_case.camelize_serializer_fields",
        "webhooks.schema.add_event_stream_path",
        "hotsauce.api.schema.add_problem_component",
        "hotsauce.api.schema.constrain_inputs",
        "hotsauce.api.schema_examples.add_examples",
    ],
    "SECURITY": [{"oauth2": []}, {"apiKey": []}],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "oauth2": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {
                        "tokenUrl": "/oauth/token/",
                        "scopes": {},  # filled from partners.scopes in the postprocessing hook
                    }
                },
            },
            "apiKey": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Authorization: ApiKey <key>` for server-to-server calls.",
            },
        }
    },
    "ENUM_NAME_OVERRIDES": {},
    # Pinned local builds (requirements.txt), never a CDN: /api/docs/ and /api/redoc/ work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",
    "REDOC_DIST": "SIDECAR",
    "REDOC_UI_SETTINGS": {"theme": {"typography": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', sans-serif",
                                                   "headings": {"fontFamily": "system-ui, sans-serif"}}}},
}

# --- GS1 and EDI (docs/edi-gs1.md) ---------------------------------------------------
# SSCCs are extension digit + this GS1 company prefix + a serial from a database sequence.
GS1_COMPANY_PREFIX = env_str("GS1_COMPANY_PREFIX", "0860001")
if not (GS1_COMPANY_PREFIX.isdigit() and 6 <= len(GS1_COMPANY_PREFIX) <= 12):
    raise ImproperlyConfigured(f"GS1_COMPANY_PREFIX={GS1_COMPANY_PREFIX!r} must be 6 to 12 digits.")
GS1_SSCC_EXTENSION_DIGIT = env_int("GS1_SSCC_EXTENSION_DIGIT", 0)
if not 0 <= GS1_SSCC_EXTENSION_DIGIT <= 9:
    raise ImproperlyConfigured("GS1_SSCC_EXTENSION_DIGIT must be one digit (0-9).")
# The X12 version new trading-partner profiles get (005010, or 004010 for older partners).
EDI_DEFAULT_VERSION = env_str("EDI_DEFAULT_VERSION", "005010")
if EDI_DEFAULT_VERSION not in ("005010", "004010"):
    raise ImproperlyConfigured(f"EDI_DEFAULT_VERSION={EDI_DEFAULT_VERSION!r} must be 005010 or 004010.")
EDI_INVENTORY_ADVICE_SECONDS = env_int("EDI_INVENTORY_ADVICE_SECONDS", 86400)

# --- Webhooks -------------------------------------------------------------------------
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
# Server-Sent Events (webhooks/streaming.py): open streams per API client (across processes
# with Redis), per process, and catch-up reads running at once per process (each briefly
# holds a database connection; an idle stream holds none).
SSE_MAX_STREAMS_PER_CLIENT = env_int("SSE_MAX_STREAMS_PER_CLIENT", 5)
SSE_MAX_STREAMS_PER_PROCESS = env_int("SSE_MAX_STREAMS_PER_PROCESS", 500)
SSE_CONCURRENT_READS = env_int("SSE_CONCURRENT_READS", 4)
for _name in ("SSE_MAX_STREAMS_PER_CLIENT", "SSE_MAX_STREAMS_PER_PROCESS", "SSE_CONCURRENT_READS"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1.")
WEBHOOK_RETRY_SCHEDULE = env_int_list(
    "WEBHOOK_RETRY_SCHEDULE", [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
)
EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 30)
# How long a worker's claim on a delivery lasts; after it a delivery whose worker died is sent
# again (same webhook-id). A task published but not taken within half of it is published
# again. Keep it well above the 15 s send timeout, or slow receivers get doubles.
WEBHOOK_CLAIM_LEASE_SECONDS = env_int("WEBHOOK_CLAIM_LEASE_SECONDS", 60)
if WEBHOOK_CLAIM_LEASE_SECONDS < 1:
    raise ImproperlyConfigured("WEBHOOK_CLAIM_LEASE_SECONDS must be at least 1.")

# --- Feedback: discrepancies and stock reconciliation (docs/feedback.md) -----------------
# Hours a discrepancy of each kind may stay open or acknowledged before it is overdue,
# e.g. DISCREPANCY_DUE_HOURS="shortage=24,delay=12" (kinds not named keep these defaults).
DISCREPANCY_DUE_HOURS = env_int_map("DISCREPANCY_DUE_HOURS", {
    "shortage": 48, "overage": 72, "damage": 48, "wrongItem": 48, "quality": 72, "delay": 24,
    "stockMismatch": 168, "other": 120}, minimum=1)
# A retailer's reported on-hand may differ from shipped − sold − returned by this many units,
# or by this percentage of the expected figure if that is more, before a stockMismatch opens.
STOCK_RECONCILIATION_TOLERANCE_UNITS = env_int("STOCK_RECONCILIATION_TOLERANCE_UNITS", 2)
STOCK_RECONCILIATION_TOLERANCE_PERCENT = env_int("STOCK_RECONCILIATION_TOLERANCE_PERCENT", 5)
if STOCK_RECONCILIATION_TOLERANCE_UNITS < 0 or not 0 <= STOCK_RECONCILIATION_TOLERANCE_PERCENT <= 100:
    raise ImproperlyConfigured("STOCK_RECONCILIATION_TOLERANCE_UNITS must be >= 0 and "
                               "STOCK_RECONCILIATION_TOLERANCE_PERCENT between 0 and 100.")

# --- Production hardening -------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "hotsauce.api.auth.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
# Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (contract section 7); from
# anyone else those headers are ignored, as any client can write them (hotsauce/proxies.py).
# uvicorn must be started with --forwarded-allow-ips set to the same list (README).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", [])
if "TRUSTED_PROXY_COUNT" in os.environ:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT is gone: list your proxies' addresses in TRUSTED_PROXIES "
                               "(comma-separated CIDRs) instead.")
# Calls without valid credentials, counted per IP (slows down key guessing).
API_ANON_RATE_LIMIT = env_rate("API_ANON_RATE_LIMIT", "6000/min")
# Admin sign-in: failures per username+IP before a lockout of this many seconds.
ADMIN_LOGIN_MAX_FAILURES = env_int("ADMIN_LOGIN_MAX_FAILURES", 5)
ADMIN_LOGIN_LOCKOUT_SECONDS = env_int("ADMIN_LOGIN_LOCKOUT_SECONDS", 900)
# Token endpoint: failed client authentications per client id and address per window.
TOKEN_FAILURE_LIMIT = env_int("TOKEN_FAILURE_LIMIT", 20)
TOKEN_FAILURE_WINDOW_SECONDS = env_int("TOKEN_FAILURE_WINDOW_SECONDS", 300)
# Token endpoint: requests per claimed client id and per address, counted before any secret
# is checked, so a storm from one client stays cheap for everyone else (429 + Retry-After).
TOKEN_RATE_LIMIT = env_rate("TOKEN_RATE_LIMIT", "10/min")
TOKEN_ADDRESS_RATE_LIMIT = env_rate("TOKEN_ADDRESS_RATE_LIMIT", "120/min")
# Seconds a bearer token -> client answer is cached (shared cache; revocation busts it at once).
TOKEN_CACHE_SECONDS = env_int("TOKEN_CACHE_SECONDS", 30)

# One line per log record; with LOG_FORMAT=json (production) a JSON object per line, with
# the request and task fields (hotsauce.observability) as keys.
LOG_FORMAT = env_choice("LOG_FORMAT", ("text", "json"), "text")
LOG_LEVEL = env_choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": "%(levelname)s %(name)s %(message)s",
                 "timestamp": True, "rename_fields": {"levelname": "level", "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": "plain" if LOG_FORMAT == "text" else "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # django-oauth-toolkit logs a rejected client secret verbatim at DEBUG: never below INFO.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "oauth2_provider": {"level": "INFO"},
                "oauthlib": {"level": "INFO"}},
}
if LOG_FORMAT == "json":
    # The servers' own loggers write through ours too, and the per-request and per-task
    # lines replace uvicorn's access log and Celery's "received"/"succeeded" lines.
    LOGGING["loggers"] |= {
        "uvicorn": {"handlers": ["console"], "propagate": False},
        "uvicorn.error": {"handlers": ["console"], "propagate": False},
        "uvicorn.access": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
    }
# Text (make run): Celery formats its own console as before. JSON: Celery keeps ours.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT == "text"

# --- Events on RabbitMQ (python manage.py relay_events) -----------------------------------
EVENTS_AMQP_URL = env_str("EVENTS_AMQP_URL")
# Pinned by the contract (section 7); consumers bind their queues to it.
EVENTS_AMQP_EXCHANGE = "hotsauce.events"

# --- Celery beat ---------------------------------------------------------------------
CELERY_BEAT_SCHEDULE = {
    # The sweeper is what makes deliveries survive a dead broker or worker: every few
    # seconds it publishes whatever is due and not already in flight (webhooks.delivery).
    "webhooks-deliveries-sweep": {"task": "webhooks.deliveries_sweep", "schedule": 2.0},
    "webhooks-events-purge": {"task": "webhooks.events_purge", "schedule": 3600.0},
    # Demand only changes daily, but alerts should follow stock within minutes; one run over
    # 10,000 items takes seconds (bench/forecast_bench.py) and overlapping runs skip themselves.
    "inventory-forecasts-recompute": {"task": "inventory.forecasts_recompute", "schedule": 900.0},
    # Backorders are served on commit of each arrival; this sweep catches an arrival whose
    # trigger was lost (broker down at commit), so a waiting order never waits forever.
    "orders-backorders-sweep": {"task": "orders.allocate_all_backorders", "schedule": 300.0},
    # Standalone holds with an expiresAt give their units back within a minute of it.
    "inventory-reservations-expire": {"task": "inventory.reservations_expire", "schedule": 60.0},
    # The ledger is the truth: prove every balance from it and log any drift loudly.
    "inventory-reconcile": {"task": "inventory.reconcile", "schedule": 3600.0},
    "api-idempotency-purge": {"task": "api.idempotency_purge", "schedule": 3600.0},
    # Retailers' reported on-hand against shipped − sold − returned; opens stockMismatch
    # discrepancies (at most one per report, a DB constraint makes reruns add nothing).
    "feedback-stock-reconcile": {"task": "feedback.stock_reconcile", "schedule": 3600.0},
    # An 846 inventory advice to every retailer whose profile asks for one (default daily).
    "edi-inventory-advice": {"task": "edi.inventory_advice_all", "schedule": float(EDI_INVENTORY_ADVICE_SECONDS)},
}
# BEAT_PERIOD_SECONDS="inventory-reconcile=600,..." changes some periods (tuning, tests, demos).
for _name, _seconds in env_int_map("BEAT_PERIOD_SECONDS", {name: int(entry["schedule"]) for name, entry
                                                            in CELERY_BEAT_SCHEDULE.items()}, minimum=1).items():
    CELERY_BEAT_SCHEDULE[_name]["schedule"] = float(_seconds)
# Loops that run as processes of their own but report like periodic jobs (hotsauce/jobs.py):
# name -> period in seconds. The relay records a success each time it has caught up.
PERIODIC_JOBS_OUTSIDE_BEAT = {"events-relay": 60} if EVENTS_AMQP_URL else {}
