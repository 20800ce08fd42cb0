"""CouncilChat settings: one module, read from the environment, with dev defaults.

Every value a deployment changes comes from an environment variable (django-environ);
the defaults are what `make demo` and `make test` need on a developer's machine.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str(
    "SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789"
)
# Council hosts are data (Domain rows), so Host validation happens in the tenant middleware;
# ALLOWED_HOSTS is a coarse outer fence.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[".localhost", "localhost", "127.0.0.1"])
# Hosts that serve the public schema (partnership managers' admin, the demo index).
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
]
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
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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
# Persistent connections: channels' database_sync_to_async closes only stale ones, so a
# connection is reused across consumer calls instead of opened per call.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=300)
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
            "group_expiry": 86400,
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
    "routing-sweep": {
        "task": "chat.tasks.sweep_all_councils",
        "schedule": env.float("ROUTING_SWEEP_SECONDS", default=15.0),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Host-only cookies: a session on one council's host is worthless on another's.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
# The widget speaks English and Welsh (widgets/strings.py; catalogues in locale/, .mo committed).
LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True  # serve straight from the apps, no collectstatic needed in dev
WHITENOISE_AUTOREFRESH = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Chat rules.
MESSAGE_MAX_CHARS = 4000
FRAME_MAX_BYTES = 16 * 1024
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
# With DEBUG (the demo, where one tester plays many residents) the defaults are lenient.
WIDGET_RATE_LIMITS = {
    "chat": env.str("WIDGET_RATE_CHATS", default="1000/600" if DEBUG else "10/600"),
    "enquiry": env.str("WIDGET_RATE_ENQUIRIES", default="1000/600" if DEBUG else "5/600"),
    "transcript": env.str("WIDGET_RATE_TRANSCRIPTS", default="1000/600" if DEBUG else "10/3600"),
    "transcript-each": env.str(
        "WIDGET_RATE_TRANSCRIPTS_PER_CHAT", default="20/86400" if DEBUG else "3/86400"
    ),
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

# Operator presence: the console socket touches last_seen this often, and an operator unseen
# for the grace period has their chats put back at the front of the queue.
OPERATOR_HEARTBEAT_SECONDS = env.int("OPERATOR_HEARTBEAT_SECONDS", default=20)
OPERATOR_GRACE_SECONDS = env.int("OPERATOR_GRACE_SECONDS", default=60)
# How often Celery beat sweeps every council for missed, unanswered and orphaned chats.
ROUTING_SWEEP_SECONDS = env.float("ROUTING_SWEEP_SECONDS", default=15.0)
