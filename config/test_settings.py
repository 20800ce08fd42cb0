"""Test overrides: isolate this run's channel groups, cache keys and task queue."""

import os
import tempfile
import uuid
from pathlib import Path

# Before the settings read the environment (live servers the tests start inherit these):
# production settings need a key, and the tests use the demo's pages (demo/, DEMO=1).
os.environ.setdefault("SECRET_KEY", "test-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DEMO", "1")

from config.settings import *  # noqa: F403
from config.settings import CACHES, CHANNEL_LAYERS

RUN_ID = os.environ.get("COUNCILCHAT_TEST_RUN") or uuid.uuid4().hex[:8]
os.environ["COUNCILCHAT_TEST_RUN"] = RUN_ID  # inherited by live servers the tests start

CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"cctest{RUN_ID}"
CACHES["default"]["KEY_PREFIX"] = f"cctest{RUN_ID}"
CELERY_TASK_DEFAULT_QUEUE = f"cctest{RUN_ID}"
# Hashing cost is not under test; the default PBKDF2 makes every login take ~0.5 s.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
SECURE_COOKIES = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The test servers speak plain http on loopback, as `make demo` does.
COUNCIL_URL_SCHEME = "http"
COUNCIL_URL_PORT = os.environ.get("PORT", "8000")
WHITENOISE_AUTOREFRESH = True  # static files served straight from the apps, as edited
# Tests change settings and read the config straight back; tests/widgets/test_config_cache.py
# turns the cache on.
WIDGET_CONFIG_CACHE_SECONDS = 0
# Tests start many chats from 127.0.0.1; tests/widgets/test_throttle.py sets real limits.
WIDGET_RATE_LIMITS = {
    "chat": "100000/60",
    "enquiry": "100000/60",
    "transcript": "100000/60",
    "transcript-each": "100000/60",
    "attachment": "100000/60",
}
# Social: a known app secret and verify token, quick retries, media in a temporary folder.
META_APP_SECRET = "test-app-secret"  # noqa: S105 - test only
META_VERIFY_TOKEN = "test-verify-token"  # noqa: S105 - test only
SOCIAL_SEND_RETRY_BASE_SECONDS = 0.2
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"cctest-media-{RUN_ID}"
# Tests written before staff two-factor log council admins and managers in with a password;
# tests/staffauth turns two-factor on per council (and for managers) where it is under test.
PARTNERSHIP_MANAGERS_TWO_FACTOR = False
COUNCIL_ADMINS_TWO_FACTOR_DEFAULT = False
# A fixed Fernet key for identity-provider secrets in tests (never a deployment's).
SSO_FERNET_KEYS = ["66E0LO6hu6zpVDrzPydy-RKwF5Z5cqMFax0iLNlTwvw="]
