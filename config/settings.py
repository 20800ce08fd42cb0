"""CouncilChat settings: one module, read from the environment, safe by default.

Every value a deployment changes comes from an environment variable (django-environ).
Without any, this is a production configuration: DEBUG off, SECRET_KEY required, secure
cookies, HSTS and a Content-Security-Policy. `make demo` sets DEBUG=1 and DEMO=1; the tests
use config/test_settings.py (docs/operations.md lists every variable).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.static_headers import add_static_headers

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)

DEBUG = env.bool("DEBUG", default=False)
# The demo (demo/): seed data and the pretend council websites, installed and routed only
# with DEMO=1. Also lenient abuse limits, as one tester plays many residents.
DEMO = env.bool("DEMO", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "string (e.g. the output of `python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'`), or set DEBUG=1 on a development machine."
        )
    SECRET_KEY = "dev-only-insecure-key-not-for-production-0123456789"  # noqa: S105
# Council hosts are data (Domain rows), so Host validation happens in the tenant middleware;
# ALLOWED_HOSTS is a coarse outer fence.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[".localhost", "localhost", "127.0.0.1"])
# Hosts that serve the public schema (partnership managers' admin, the demo's index).
PUBLIC_HOSTS = env.list("PUBLIC_HOSTS", default=["localhost", "127.0.0.1"])

SHARED_APPS = [
    "django_tenants",
    "daphne",
    "councils",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "reliability",
    # The public half of social/: which council owns a Page or WhatsApp number, and the raw
    # webhook inbox (docs/social.md).
    "social.hub",
    # Staff sign-in (docs/security.md): partnership managers' two-factor devices, lockouts
    # and sessions live in public; each council's in its own schema (TENANT_APPS below).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "staffauth",
]
if DEMO:
    SHARED_APPS.append("demo")  # no models: only commands, templates, views
# Each council's schema holds its own users, sessions, departments and chats.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "routing",
    "chat",
    "widgets",
    "outbox",
    # Facebook Messenger and WhatsApp connections, residents and message states per council.
    "social",
    # Photos and PDFs sent in web chats, per council (docs/attachments.md).
    "attachments",
    "privacy",
    "reports",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "staffauth",
    "assistant",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "councils.Council"
TENANT_DOMAIN_MODEL = "councils.Domain"
PUBLIC_SCHEMA_NAME = "public"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Only issue `SET search_path` when the schema actually changes on a connection.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    # Static files (console script, widget assets) need no council, so they are served first.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "councils.middleware.CouncilHostMiddleware",
    # NUL in a query string or form field: 400 before any view or query (reliability/).
    "reliability.request_checks.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Idle and absolute session limits per council, sign-out-everywhere (staffauth/sessions.py).
    "staffauth.middleware.StaffSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls_public"
COUNCIL_URLCONF = "config.urls_council"
PARTNERSHIP_URLCONF = "config.urls_partnership"

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
                # The council's name and colours on staff pages (issue 15).
                "staffauth.branding.staff_branding",
            ],
        },
    },
]

ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

DATABASES = {
    "default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/councilchat")
}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# A PostgreSQL that does not answer fails a connection attempt in seconds, not minutes.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
# Persistent connections: channels' database_sync_to_async closes only stale ones, so the
# consumers' two ORM threads (chat and back office, councils/tenancy.py) reuse theirs
# instead of opening one per call. HTTP requests each run in a thread of their own under
# ASGI, so theirs are closed when the request ends, and at most HTTP_MAX_CONCURRENCY run at
# once: a web process holds at most HTTP_MAX_CONCURRENCY + 2 connections
# (reliability/capacity.py, docs/operations.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
HTTP_MAX_CONCURRENCY = env.int("HTTP_MAX_CONCURRENCY", default=20)
# A request waiting longer than this for its turn is answered 503 with Retry-After.
HTTP_QUEUE_WAIT_SECONDS = env.float("HTTP_QUEUE_WAIT_SECONDS", default=10.0)
# Off by default: with health checks on, every database_sync_to_async call (every socket's
# ORM work, on the one ORM thread) first sends a `SELECT 1`, measured at 0.1-0.2 ms of wall
# time and ~0.07 ms of CPU per call here (docs/performance.md). Without them, a connection
# broken by a PostgreSQL restart fails one call, and Django then drops it (errors_occurred).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CHANNEL_LAYER_PREFIX = env.str("CHANNEL_LAYER_PREFIX", default="councilchat")
CHANNEL_LAYERS = {
    "default": {
        # RedisChannelLayer on a Redis pool that waits for a free connection (chat/layers.py):
        # redis-py 8's own pool refuses the 101st concurrent command ("Too many
        # connections"); in bench B2 8,940 of 10,000 reconnecting consumers died that way
        # even with max_connections at 1,000, and the group-hop floor died at 200 msg/s.
        "BACKEND": "chat.layers.BlockingPoolChannelLayer",
        "CONFIG": {
            # redis-py 8 times reads out at 5 s, the same as channels_redis' blocking
            # receive, which killed quiet consumers (channels_redis #422); measured in
            # bench B1: 6 of 1,000 idle sockets closed without this, 0 of 15,000 with it.
            "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "max_connections": 200}],
            # The prefix separates deployments; tenants are separated by group names.
            "prefix": CHANNEL_LAYER_PREFIX,
            "capacity": 1000,
            "expiry": 60,
            # Short: every live socket re-joins its groups every third of this
            # (reliability/sockets.py), so a membership of a socket that died without
            # leaving lapses within minutes instead of a day (issue 12).
            "group_expiry": env.int("CHANNEL_GROUP_EXPIRY", default=300),
        },
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_PREFIX", default="councilchat"),
        # Prefixes every key with the current schema so councils never share cache entries.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        # Redis away or stuck must not hang a request: the rate limiter then fails open.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    "end-idle-conversations": {
        "task": "chat.tasks.end_idle_conversations_in_all_councils",
        "schedule": 300.0,
    },
    "outbox-sweep": {
        "task": "outbox.tasks.sweep_outbox_in_all_councils",
        "schedule": env.float("OUTBOX_SWEEP_SECONDS", default=30.0),
    },
    "social-inbox-sweep": {
        "task": "social.tasks.sweep_social",
        "schedule": env.float("SOCIAL_SWEEP_SECONDS", default=30.0),
    },
    "routing-sweep": {
        "task": "chat.tasks.sweep_all_councils",
        "schedule": env.float("ROUTING_SWEEP_SECONDS", default=15.0),
    },
    # Each council's retention schedule (privacy/), nightly at 02:30 (Celery beat's clock, UTC).
    "privacy-retention": {
        "task": "privacy.tasks.apply_retention_in_all_councils",
        "schedule": crontab(hour=2, minute=30),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Staff sign-in (docs/security.md). Client secrets of councils' identity providers are
# encrypted with Fernet: SSO_FERNET_KEYS is a comma-separated list of keys (the first
# encrypts, all decrypt, so keys rotate); generate one with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
# Without it (development only) a key is derived from SECRET_KEY.
SSO_FERNET_KEYS = env.list("SSO_FERNET_KEYS", default=[])
# Failed sign-ins: this many per account in the window lock that account for LOCKOUT_SECONDS;
# per client address the limit is far higher, since a contact centre shares one address.
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=100)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
# Partnership managers (public admin) always use two-factor. Only the test settings turn this
# off, for the tests written before two-factor existed; it is not read from the environment.
PARTNERSHIP_MANAGERS_TWO_FACTOR = True
# A council without its own sign-in settings row requires two-factor of its admins.
COUNCIL_ADMINS_TWO_FACTOR_DEFAULT = True
# Session limits for councils without their own settings, and for the public admin.
STAFF_SESSION_IDLE_MINUTES = env.int("STAFF_SESSION_IDLE_MINUTES", default=30)
STAFF_SESSION_ABSOLUTE_HOURS = env.int("STAFF_SESSION_ABSOLUTE_HOURS", default=12)

# Host-only cookies: a session on one council's host is worthless on another's.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# TLS ends at a proxy or load balancer in front of daphne, which says so in this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
# HSTS on every https response outside DEBUG (a year). Not for subdomains by default: a
# council's chat host is often a subdomain of a council domain we do not run.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Off by default: the proxy redirects http, and the container's health check speaks http.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# `manage.py check --deploy` warns of these three choices, made on purpose (above).
SILENCED_SYSTEM_CHECKS = [
    "security.W005",  # HSTS without includeSubDomains: council domains are not ours
    "security.W008",  # no SSL redirect in Django: the proxy redirects
    "security.W021",  # no HSTS preload: the councils' domains, their decision
]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4) on every response: our pages, the admin and the
# widget's endpoints. Scripts only from files on our own host (no inline script, no eval:
# console.js, embed.js and Django's admin are files). Styles may be inline: the admin's and
# the widget preview's style attributes, and the widget's <style> in its shadow root on a
# council's page; a style cannot run code. Images from https (a council's logo URL).
# connect-src 'self' covers the same host's wss:// sockets (CSP level 3).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "https:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
# The widget speaks English and Welsh (widgets/strings.py; catalogues in locale/, .mo committed).
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
# Times on the UK 24-hour clock everywhere Django formats them (config/formats/, issue 15).
FORMAT_MODULE_PATH = ["config.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True  # serve straight from the apps, no collectstatic needed in dev
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_ADD_HEADERS_FUNCTION = add_static_headers  # nosniff on static files
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Chat rules.
MESSAGE_MAX_CHARS = 4000
FRAME_MAX_BYTES = 16 * 1024
# Frames one websocket may send (reliability/frame_rate.py): a burst, then a rate per second;
# over it a frame is refused with `rate_limited` (retry), and after this many refusals in a
# row the socket is closed with 1008. Far above any person's pace (a console reconnecting
# sends a resume per chat it holds). 0 per second: no limit.
FRAME_RATE_PER_SECOND = env.float("FRAME_RATE_PER_SECOND", default=10)
FRAME_RATE_BURST = env.int("FRAME_RATE_BURST", default=50)
FRAME_RATE_CLOSE_AFTER = env.int("FRAME_RATE_CLOSE_AFTER", default=500)
# ORM time a socket's frames may use: this share of an ORM thread, after a burst; a socket
# in debt gets `rate_limited` (reliability/frame_rate.py). 0 turns it off.
SOCKET_DB_SHARE = env.float("SOCKET_DB_SHARE", default=0.02)
SOCKET_DB_BURST_SECONDS = env.float("SOCKET_DB_BURST_SECONDS", default=0.5)
VISITOR_TOKEN_MAX_AGE = env.int("VISITOR_TOKEN_MAX_AGE", default=24 * 3600)
CONVERSATION_IDLE_TIMEOUT = env.int("CONVERSATION_IDLE_TIMEOUT", default=2 * 3600)
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="")

# Every page with the widget loads /widget/config and polls /widget/availability each minute;
# a partnership's answer reads every member council's schema (84 queries). Each process
# keeps an answer per host, language, department and page for this many seconds (0: off);
# saving a council's widget or routing settings clears this process's copy at once.
WIDGET_CONFIG_CACHE_SECONDS = env.float("WIDGET_CONFIG_CACHE_SECONDS", default=10)

# Abuse limits on the widget's public POSTs, as "count/seconds" (widgets/throttle.py): per
# visitor address and site, and for transcripts also per chat ("transcript-each").
# With DEMO (where one tester plays many residents) the defaults are lenient.
WIDGET_RATE_LIMITS = {
    "chat": env.str("WIDGET_RATE_CHATS", default="1000/600" if DEMO else "10/600"),
    "enquiry": env.str("WIDGET_RATE_ENQUIRIES", default="1000/600" if DEMO else "5/600"),
    "transcript": env.str("WIDGET_RATE_TRANSCRIPTS", default="1000/600" if DEMO else "10/3600"),
    "transcript-each": env.str(
        "WIDGET_RATE_TRANSCRIPTS_PER_CHAT", default="20/86400" if DEMO else "3/86400"
    ),
    # Photos and PDFs sent from the widget (docs/attachments.md).
    "attachment": env.str("WIDGET_RATE_ATTACHMENTS", default="1000/600" if DEMO else "20/600"),
}

# Mail (transcripts, out-of-hours enquiries, set-password links). EMAIL_URL takes the
# django-environ form, e.g. smtp+tls://user:password@smtp.example.gov.uk:587; the dev
# default prints mail to the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CouncilChat <no-reply@localhost>")

# Links to council hosts in emails sent outside a request (onboarding's set-password link):
# scheme and port of the council hosts as residents and staff reach them.
COUNCIL_URL_SCHEME = env.str("COUNCIL_URL_SCHEME", default="http" if DEBUG else "https")
# Default in development: the port `make demo` serves on.
COUNCIL_URL_PORT = env.str(
    "COUNCIL_URL_PORT", default=env.str("PORT", default="8000") if DEBUG else ""
)
# Where offboarding writes a council's export before its schema is dropped.
COUNCIL_EXPORT_DIR = env.path("COUNCIL_EXPORT_DIR", default=BASE_DIR / ".local" / "exports")
# Offboarding removes a council's hosts, then waits this long for every process's host cache
# (councils/sites.py, 30 s) to forget them before it exports and drops the schema.
COUNCIL_OFFBOARD_SETTLE_SECONDS = env.float("COUNCIL_OFFBOARD_SETTLE_SECONDS", default=31.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Operator presence: the console socket's server beats this often (its ConsoleSocket row and
# last_seen; a row not beaten for three of these is dead), and an operator with no live
# console for the grace period has their chats put back at the front of the queue.
OPERATOR_HEARTBEAT_SECONDS = env.int("OPERATOR_HEARTBEAT_SECONDS", default=10)
# A console that pings (console.js, every 3 s) and then sends nothing for this long is closed
# (4408) and its operator leaves assignment at once: a silent outage is noticed within 10 s
# (checked every 0.5 s; issue 15).
OPERATOR_PING_TIMEOUT_SECONDS = env.float("OPERATOR_PING_TIMEOUT_SECONDS", default=9.0)
OPERATOR_GRACE_SECONDS = env.int("OPERATOR_GRACE_SECONDS", default=60)
# How often Celery beat sweeps every council for missed, unanswered and orphaned chats.
ROUTING_SWEEP_SECONDS = env.float("ROUTING_SWEEP_SECONDS", default=15.0)

# The outbox (outbox/services.py): emails and other outbound sends, recorded with the change
# that needs them and retried until sent. A send not marked sent this long after it was
# recorded (or after its last failed attempt, doubling up to the maximum) is delivered by the
# sweep; after OUTBOX_MAX_ATTEMPTS it is given up and logged. Sent rows are kept a week.
OUTBOX_HANDLERS = {
    "transcript_email": "chat.actions.emails.send_transcript_item",
    "enquiry_email": "chat.actions.emails.send_enquiry_item",
}
OUTBOX_RETRY_AFTER_SECONDS = env.float("OUTBOX_RETRY_AFTER_SECONDS", default=60.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=3600.0)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=12)
OUTBOX_KEEP_SENT_DAYS = env.int("OUTBOX_KEEP_SENT_DAYS", default=7)

# Load balancers and proxies whose X-Forwarded-For / X-Forwarded-Proto we believe (addresses
# or networks, comma-separated). The client is the right-most hop that is not one of them
# (reliability/proxies.py); run daphne without --proxy-headers, which trusts anyone's header.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Facebook Messenger and WhatsApp (social/, docs/social.md). With no app secret every webhook
# POST is refused (403) and with no verify token every subscription check is refused.
META_APP_SECRET = env.str("META_APP_SECRET", default="")
META_VERIFY_TOKEN = env.str("META_VERIFY_TOKEN", default="")
# Meta's current Graph API version (v26.0, July 2026); tests and the demo use a stand-in.
META_GRAPH_URL = env.str("META_GRAPH_URL", default="https://graph.facebook.com/v26.0").rstrip("/")
# Hosts media may be downloaded from besides the Graph host itself: WhatsApp's media URLs
# (lookaside.fbsbx.com) and Messenger's attachment CDN (a leading dot: any subdomain).
META_MEDIA_HOSTS = env.list("META_MEDIA_HOSTS", default=["lookaside.fbsbx.com", ".fbcdn.net"])
# Fernet key (urlsafe base64 of 32 bytes) for Page and WhatsApp tokens at rest; when empty
# one is derived from SECRET_KEY (fine for development; set your own in production).
SOCIAL_TOKEN_KEY = env.str("SOCIAL_TOKEN_KEY", default="")
SOCIAL_WEBHOOK_MAX_BYTES = 1024 * 1024
SOCIAL_MEDIA_MAX_BYTES = env.int("SOCIAL_MEDIA_MAX_BYTES", default=16 * 1024 * 1024)
# Outbound retries: first after this many seconds, doubling, until the give-up time.
SOCIAL_SEND_RETRY_BASE_SECONDS = env.float("SOCIAL_SEND_RETRY_BASE_SECONDS", default=2.0)
SOCIAL_SEND_GIVE_UP_SECONDS = env.float("SOCIAL_SEND_GIVE_UP_SECONDS", default=900.0)
SOCIAL_GRAPH_TIMEOUT_SECONDS = env.float("SOCIAL_GRAPH_TIMEOUT_SECONDS", default=10.0)
# Residents' attachments, per council under MEDIA_ROOT/private/<schema>/ (never served
# statically: only social/views.media_download, to that council's staff).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".local" / "media")
MEDIA_URL = "/media-not-served/"
# Chat attachments (docs/attachments.md): stored under MEDIA_ROOT/private/<schema>/attachments/.
# Each council sets its own size limit in its admin, up to this ceiling (MB).
ATTACHMENT_MAX_MB_CEILING = env.int("ATTACHMENT_MAX_MB_CEILING", default=25)
# Photos with more pixels are refused before decoding (decompression bombs): 50 million is
# a 50-megapixel phone photo, about 150 MB of memory while it is re-encoded.
ATTACHMENT_MAX_PIXELS = env.int("ATTACHMENT_MAX_PIXELS", default=50_000_000)
# How long the signed link a resident's widget gets for an attachment works (seconds); every
# frame and replay carries a fresh one.
ATTACHMENT_LINK_MAX_AGE = env.int("ATTACHMENT_LINK_MAX_AGE", default=3600)
