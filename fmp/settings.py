"""FMP settings: one module, every operator-tunable value read from the environment.

See README.md ("Configuration") for the list of variables. With nothing set, the portal
runs on a SQLite file with Celery tasks executed eagerly (no broker): the embedded default.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from fmp.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("FMP_DEBUG", False)
SECRET_KEY = env_str("FMP_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("FMP_PRODUCTION", False):
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("FMP_SECRET_KEY must be set when FMP_PRODUCTION is true.")
    # Development / demo only: a fixed key is fine for a local SQLite demo.
    SECRET_KEY = "fmp-insecure-development-key-change-me-0123456789abcdefghijklmnop"

ALLOWED_HOSTS = env_list("FMP_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("FMP_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "fmp.apps.PortalAdminConfig",  # Django's admin, behind the portal's login and second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "csp",
    "fmp.apps.AxesConfig",  # django-axes, under a translated name in the admin
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accounts",
    "printers",
    "meters",
    "supplies",
    "tickets",
    "documents",
    "collectors",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # NUL characters and off-site or malformed ``next`` refused before any view runs.
    "fmp.middleware.RequestGuardMiddleware",
    "accounts.middleware.InactiveAccountMiddleware",
    "accounts.middleware.ForcePasswordChangeMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes last: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fmp.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
            ],
            "libraries": {"fmp_format": "fmp.templatetags.fmp_format"},
        },
    },
    {
        # Plain-text e-mails (subjects and text parts): nothing HTML-escaped, so that
        # "O'Brien" arrives as typed. Only accounts.notifications renders with it.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False, "libraries": {"fmp_format": "fmp.templatetags.fmp_format"}},
    },
]

WSGI_APPLICATION = "fmp.wsgi.application"

# --- Database -------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL (postgres://user:pass@host:5432/name); with nothing set
# the portal uses a SQLite file beside manage.py.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("FMP_DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
FMP_DB_JIT = env_choice("FMP_DB_JIT", "off", ("off", "on", "server"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and FMP_DB_JIT != "server":
    # PostgreSQL's JIT compiles plans it thinks expensive: on the portal's short queries
    # over a large fleet it spent 130 ms compiling for 270 ms of work (bench/grid.py).
    # FMP_DB_JIT=server sends no option (a pooler that refuses startup options). Options
    # already given in DATABASE_URL (?options=...) are kept.
    # The server also probes idle connections, so that a worker whose machine vanished
    # loses its session (and its poll-run lock) within about a minute and a half.
    keepalives = "-c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"
    db_options = DATABASES["default"].setdefault("OPTIONS", {})
    db_options["options"] = f"{db_options.get('options', '')} -c jit={FMP_DB_JIT} {keepalives}".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's SQLite file serves several requests at once: write-ahead logging lets
    # readers go on during a write, IMMEDIATE transactions take the write lock when they
    # begin (a transaction that read first could not upgrade and failed at once with
    # "database is locked"), and a second writer waits up to 20 s instead of failing.
    sqlite_options = DATABASES["default"].setdefault("OPTIONS", {})
    sqlite_options.setdefault("timeout", 20)
    sqlite_options.setdefault("transaction_mode", "IMMEDIATE")
    sqlite_options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users, passwords, lock-out -------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.UsernameOrEmailBackend",
    "accounts.backends.TemporaryPasswordBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.validators.PortalPasswordValidator", "OPTIONS": {"min_length": 7}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# A temporary password e-mailed by "Forgot password" is valid this many minutes, once.
FMP_TEMP_PASSWORD_MAX_AGE_MINUTES = env_int("FMP_TEMP_PASSWORD_MAX_AGE_MINUTES", 24 * 60, minimum=1)

# Lock-out (accounts/lockout.py): failures are counted per username (typed as username or
# e-mail, any case) and a success clears only that user's own; an address is locked only
# after the much higher FMP_LOGIN_ADDRESS_FAILURE_LIMIT failures for any usernames
# (password spraying), so one person's typos never lock out the office behind the same NAT.
# Wrong old passwords on the change-password form count too. The address is REMOTE_ADDR
# (X-Forwarded-For is ignored: a client could forge it), an IPv6 one taken as its /64.
AXES_FAILURE_LIMIT = env_int("FMP_LOGIN_FAILURE_LIMIT", 5, minimum=1)
FMP_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("FMP_LOGIN_ADDRESS_FAILURE_LIMIT", 50, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("FMP_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_HANDLER = "accounts.lockout.PortalLockoutHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"  # IPv6 counted per /64
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the per-address count (no success clears it)
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = True

# "Forgot password" throttle: requests let through per login name and per address in the
# window (the others are silently dropped: the page always says the same).
FMP_TEMP_PASSWORD_PER_USER = env_int("FMP_TEMP_PASSWORD_PER_USER", 3, minimum=1)
FMP_TEMP_PASSWORD_PER_ADDRESS = env_int("FMP_TEMP_PASSWORD_PER_ADDRESS", 20, minimum=1)
FMP_TEMP_PASSWORD_THROTTLE_MINUTES = env_int("FMP_TEMP_PASSWORD_THROTTLE_MINUTES", 60, minimum=1)

# Second factor (django-otp): TOTP apps plus single-use recovery codes. Staff must enrol
# before the admin opens; customer users may, and the help desk can require it per account.
# Wrong codes count toward the axes lock-out above (django-otp's own throttle is off).
FMP_STAFF_OTP_REQUIRED = env_bool("FMP_STAFF_OTP_REQUIRED", True)
OTP_TOTP_ISSUER = env_str("FMP_OTP_ISSUER", "FMP")
OTP_TOTP_SYNC = False  # codes are judged by the server's clock, one step (30 s) either way
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Minutes between the password and the code of a login before it has to start again.
FMP_OTP_LOGIN_MINUTES = env_int("FMP_OTP_LOGIN_MINUTES", 10, minimum=1)

SESSION_COOKIE_AGE = env_int("FMP_SESSION_AGE_SECONDS", 8 * 3600, minimum=60)

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("FMP_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True
# Numbers, percentages and CSV separators follow the reader's language: "1 234" and
# "45 %" in French, "1,234" and "45%" in English (fmp/formats, fmp/l10n.py). A number put in
# an HTML attribute or a URL by a template needs |unlocalize (tests/i18n checks).
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["fmp.formats"]

# --- Static and media files -----------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("FMP_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("FMP_MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("FMP_PRODUCTION", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Forms and tables -----------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = env_str("FMP_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where fmp.mail.FolderEmailBackend (the demo's) and Django's filebased backend write e-mails.
EMAIL_FILE_PATH = env_str("FMP_EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env_str("FMP_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("FMP_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("FMP_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("FMP_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("FMP_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("FMP_DEFAULT_FROM_EMAIL", "FMP <no-reply@fmp.example>")

# --- Celery ---------------------------------------------------------------------------
# With no broker configured, tasks run eagerly in the web process: the demo needs nothing
# but Python. In production set CELERY_BROKER_URL=redis://redis:6379/0.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# A task whose worker died (late acknowledgement) is delivered again once it has been
# unacknowledged for the visibility timeout; it must exceed the longest retry countdown
# (e-mails: 32 minutes). Idle workers sweep for such tasks every interval x throttle seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("FMP_CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    "unacked_restore_interval": env_int("FMP_CELERY_RESTORE_INTERVAL", 10, minimum=1),
    "unacked_restore_throttle": env_int("FMP_CELERY_RESTORE_THROTTLE", 10, minimum=1),
    "socket_timeout": 3,
    "socket_connect_timeout": 3,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # The development server's access log leaves out the requests that repeat every few
    # seconds when all is well (fmp.logfilters): the demo's console shows what people do.
    "filters": {"routine_requests": {"()": "fmp.logfilters.RoutineRequestsFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "server": {"class": "logging.StreamHandler", "formatter": "server", "filters": ["routine_requests"]},
    },
    "root": {"handlers": ["console"], "level": env_str("FMP_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}

# --- Production hardening (FMP_PRODUCTION=true behind HTTPS) ----------------------------
if env_bool("FMP_PRODUCTION", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("FMP_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("FMP_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# SQLite (the embedded demo default) cannot enforce "nulls not distinct"; PostgreSQL does.
SILENCED_SYSTEM_CHECKS = ["models.W047"]

# Outside production, WhiteNoise serves straight from static/ (no collectstatic needed).
WHITENOISE_USE_FINDERS = not env_bool("FMP_PRODUCTION", False)
WHITENOISE_AUTOREFRESH = not env_bool("FMP_PRODUCTION", False)

# --- Monitoring -----------------------------------------------------------------------
# History keeps every change plus one sample per device and value at least this often.
FMP_HISTORY_SAMPLE_HOURS = env_int("FMP_HISTORY_SAMPLE_HOURS", 24, minimum=1)
# A device is shown "not answering" after this many failed polls in a row (debounce).
FMP_UNREACHABLE_AFTER = env_int("FMP_UNREACHABLE_AFTER", 2, minimum=1)
# An error condition (door open, jam...) clears after this many answers in a row without it
# (debounce: a door opened, closed and opened again keeps one condition and one ticket).
FMP_CONDITION_CLEAR_AFTER = env_int("FMP_CONDITION_CLEAR_AFTER", 2, minimum=1)
FMP_POLL_BACKOFF_MAX_MINUTES = env_int("FMP_POLL_BACKOFF_MAX_MINUTES", 240, minimum=1)
FMP_POLL_ATTEMPT_RETENTION_DAYS = env_int("FMP_POLL_ATTEMPT_RETENTION_DAYS", 14, minimum=1)
FMP_SNMP_TIMEOUT = float(env_int("FMP_SNMP_TIMEOUT_MS", 2000, minimum=100)) / 1000
FMP_SNMP_RETRIES = env_int("FMP_SNMP_RETRIES", 1, minimum=0)
FMP_POLL_CONCURRENCY = env_int("FMP_POLL_CONCURRENCY", 100, minimum=1)
FMP_POLL_BATCH = env_int("FMP_POLL_BATCH", 500, minimum=1)
FMP_POLL_DEVICE_BUDGET = float(env_int("FMP_POLL_DEVICE_BUDGET_SECONDS", 15, minimum=1))
FMP_POLL_CLAIM_SECONDS = env_int("FMP_POLL_CLAIM_SECONDS", 300, minimum=30)
FMP_POLL_RUN_MAX_MINUTES = env_int("FMP_POLL_RUN_MAX_MINUTES", 120, minimum=1)
FMP_FLEET_POLL_MINUTES = env_int("FMP_FLEET_POLL_MINUTES", 60, minimum=1)
FMP_DISCOVERY_HOUR = env_int("FMP_DISCOVERY_HOUR", 3, minimum=0)

from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "fleet-poll": {"task": "printers.tasks.fleet_poll", "schedule": FMP_FLEET_POLL_MINUTES * 60},
    "discovery": {
        "task": "printers.tasks.discovery_sweep",
        "schedule": crontab(hour=FMP_DISCOVERY_HOUR, minute=15),
    },
    "poll-attempts-prune": {
        "task": "printers.tasks.poll_attempts_prune",
        "schedule": crontab(hour=4, minute=40),
    },
}
FMP_DISCOVERY_TIMEOUT = float(env_int("FMP_DISCOVERY_TIMEOUT_MS", 1000, minimum=100)) / 1000
# The simulated fleet of the demo (manage.py simfleet) answers on 127.0.0.1 at this port.
FMP_SIM_PORT = env_int("FMP_SIM_PORT", 16161, minimum=1024)
# Raw print port for test pages (JetDirect/AppSocket); tests point it at a local listener.
FMP_RAW_PRINT_PORT = env_int("FMP_RAW_PRINT_PORT", 9100, minimum=1)

# Without a broker, "Get printer status" polls in a thread of the web process (the page
# answers at once and shows the request pending); off, it polls within the request (tests).
FMP_STATUS_REFRESH_BACKGROUND = env_bool("FMP_STATUS_REFRESH_BACKGROUND", True)

# --- SNMP traps (manage.py trap_receiver) --------------------------------------------------
FMP_TRAP_BIND = env_str("FMP_TRAP_BIND", "0.0.0.0:162")
# Community strings accepted in v1/v2c traps (empty: any).
FMP_TRAP_COMMUNITIES = env_list("FMP_TRAP_COMMUNITIES", [])
# Per sender: traps a second, and the burst allowed above that; the rest is dropped and counted.
FMP_TRAP_RATE = env_int("FMP_TRAP_RATE", 20, minimum=1)
FMP_TRAP_BURST = env_int("FMP_TRAP_BURST", 200, minimum=1)
# SNMPv3 users allowed to send informs: "name:auth protocol:auth key:priv protocol:priv key",
# separated by ";" (e.g. "fmp:SHA:secret1:AES:secret2"; empty protocols for none).
FMP_TRAP_V3_USERS = env_str("FMP_TRAP_V3_USERS", "")
# The receiver's SNMPv3 engine id (hex); empty: one made at start.
FMP_TRAP_ENGINE_ID = env_str("FMP_TRAP_ENGINE_ID", "")
# A trap asks for a poll of its device to confirm; at most one such poll per device this often.
FMP_TRAP_POLL_SECONDS = env_int("FMP_TRAP_POLL_SECONDS", 60, minimum=1)

# --- Site collectors (collectors/, fmp_collector/PROTOCOL.md) ---------------------------
FMP_COLLECTOR_CODE_HOURS = env_int("FMP_COLLECTOR_CODE_HOURS", 24, minimum=1)
# Seconds between a collector's questions for commands (a command arrives within twice this).
FMP_COLLECTOR_COMMAND_INTERVAL = env_int("FMP_COLLECTOR_COMMAND_INTERVAL", 5, minimum=1)
# How long commands/ and heartbeat/ answer the configuration version computed last (a change of
# a collector's devices reaches it within this time).
FMP_COLLECTOR_CONFIG_VERSION_SECONDS = env_int("FMP_COLLECTOR_CONFIG_VERSION_SECONDS", 30, minimum=0)
FMP_COLLECTOR_HEARTBEAT_INTERVAL = env_int("FMP_COLLECTOR_HEARTBEAT_INTERVAL", 60, minimum=5)
FMP_COLLECTOR_DISCOVERY_INTERVAL = env_int("FMP_COLLECTOR_DISCOVERY_INTERVAL", 86400, minimum=60)
# A command delivered and not answered within this many seconds expires.
FMP_COLLECTOR_COMMAND_EXPIRY = env_int("FMP_COLLECTOR_COMMAND_EXPIRY", 600, minimum=10)
# Results older than this are refused (a collector's queue is bounded anyway).
FMP_COLLECTOR_MAX_AGE_DAYS = env_int("FMP_COLLECTOR_MAX_AGE_DAYS", 30, minimum=1)
# Stored or failed uploads are forgotten after this many days. A batch id re-sent after its
# row is gone stores nothing twice anyway (a poll no newer than the device's last one is
# skipped); the row only answers "duplicate" sooner. Any value works with
# FMP_COLLECTOR_MAX_AGE_DAYS: results older than that are refused whatever the batch.
FMP_COLLECTOR_BATCH_RETENTION_DAYS = env_int("FMP_COLLECTOR_BATCH_RETENTION_DAYS", 14, minimum=1)
# A collector silent for longer is shown unresponsive and opens one help-desk ticket.
FMP_COLLECTOR_UNRESPONSIVE_MINUTES = env_int("FMP_COLLECTOR_UNRESPONSIVE_MINUTES", 15, minimum=1)
CELERY_BEAT_SCHEDULE["collectors-health-check"] = {
    "task": "collectors.tasks.collectors_health_check",
    "schedule": 60,
}
CELERY_BEAT_SCHEDULE["collectors-batches-requeue"] = {
    "task": "collectors.tasks.collector_batches_requeue",
    "schedule": 120,
}
CELERY_BEAT_SCHEDULE["collectors-nonces-prune"] = {
    "task": "collectors.tasks.collector_nonces_prune",
    "schedule": 600,
}

# --- Service requests -----------------------------------------------------------------
# Close an automatic ticket when all its conditions cleared, unless the help desk handled it.
FMP_TICKET_AUTOCLOSE = env_bool("FMP_TICKET_AUTOCLOSE", True)
# Device conditions the customer fixes themselves: the account's users get an e-mail instead
# of a help-desk ticket (codes of printers.choices.PrinterCondition; checked by tickets.checks).
FMP_CUSTOMER_CONDITIONS = env_list(
    "FMP_CUSTOMER_CONDITIONS", ["noPaper", "inputTrayEmpty", "inputTrayMissing", "doorOpen", "outputFull"]
)
# An unsent service request (typed, then "Previous" or "Edit my profile") is kept this long.
FMP_TICKET_DRAFT_HOURS = env_int("FMP_TICKET_DRAFT_HOURS", 24, minimum=1)
# Address of the portal in e-mails (links to tickets, orders...).
FMP_PUBLIC_URL = env_str("FMP_PUBLIC_URL", "http://127.0.0.1:8000")
# /healthz names hosts, ports and errors only to help-desk staff or to a caller that sends
# this token (header "Authorization: Bearer <token>"); anyone else gets ok/error per part.
FMP_HEALTHZ_TOKEN = env_str("FMP_HEALTHZ_TOKEN", "")

# --- Meter reads ----------------------------------------------------------------------
FMP_METER_MAX_PAGES_PER_DAY = env_int("FMP_METER_MAX_PAGES_PER_DAY", 20000, minimum=1)
FMP_METER_READ_DUE_DAYS = env_int("FMP_METER_READ_DUE_DAYS", 31, minimum=1)
FMP_METER_READ_OVERDUE_DAYS = env_int("FMP_METER_READ_OVERDUE_DAYS", 45, minimum=2)
CELERY_BEAT_SCHEDULE["meter-reminders"] = {
    "task": "meters.tasks.meter_reminders_send",
    "schedule": crontab(hour=7, minute=30),
}

# --- Supplies -------------------------------------------------------------------------
FMP_SUPPLY_LEAD_DAYS = env_int("FMP_SUPPLY_LEAD_DAYS", 10, minimum=1)
FMP_SUPPLY_ORDER_BELOW_PERCENT = env_int("FMP_SUPPLY_ORDER_BELOW_PERCENT", 10, minimum=0)
FMP_SUPPLY_FORECAST_BELOW_PERCENT = env_int("FMP_SUPPLY_FORECAST_BELOW_PERCENT", 40, minimum=0)
# A level last read longer ago than this is shown as old data beside its forecast.
FMP_SUPPLY_LEVEL_OLD_DAYS = env_int("FMP_SUPPLY_LEVEL_OLD_DAYS", 3, minimum=1)
# A delivered order covers its supply (no automatic order for it) until the new cartridge
# is seen in the levels, or for at most this many days after delivery.
FMP_SUPPLY_DELIVERED_GRACE_DAYS = env_int("FMP_SUPPLY_DELIVERED_GRACE_DAYS", 30, minimum=1)
CELERY_BEAT_SCHEDULE["proactive-orders"] = {"task": "supplies.tasks.proactive_orders_place", "schedule": 3600}

# --- Documents ------------------------------------------------------------------------
# Shared documents are stored here, outside any public URL (only the download view serves them).
FMP_DOCUMENTS_ROOT = Path(env_str("FMP_DOCUMENTS_ROOT", str(BASE_DIR / "var" / "documents")))
FMP_DOCUMENT_MAX_MB = env_int("FMP_DOCUMENT_MAX_MB", 20, minimum=1)


# --- Content-Security-Policy (django-csp) ---------------------------------------------
# Scripts only from this site (no inline script anywhere); inline style attributes are
# allowed (progress bars, htmx indicators) but not scripts; no framing, no plugins.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie; forms carry the token
SESSION_COOKIE_SAMESITE = "Lax"
