"""Settings of the daphne that tests/reliability/test_serve.py starts: real rate limits."""

from config.test_settings import *  # noqa: F403

WIDGET_RATE_LIMITS = {
    "chat": "3/600",
    "enquiry": "3/600",
    "transcript": "3/600",
    "transcript-each": "3/600",
}
