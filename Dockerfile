# CouncilChat: one image for the web (daphne), worker and beat processes.
#
# The image runs the project from its source tree in /app, as `make demo` does, rather than
# installing it as a wheel: the settings find templates/ and locale/ beside the packages
# (BASE_DIR), and the exact dependencies come from requirements.lock (hash-checked), so
# nothing is resolved at build time. tests/config/test_image.py checks that what is copied
# here is what Django needs (every local app, templates, the Welsh catalogue).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system app && useradd --system --gid app --home-dir /app app
WORKDIR /app

# Dependencies first (a layer that changes only with the lock).
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY manage.py pyproject.toml ./
COPY config ./config
COPY councils ./councils
COPY chat ./chat
COPY routing ./routing
COPY widgets ./widgets
COPY demo ./demo
COPY reliability ./reliability
COPY outbox ./outbox
COPY social ./social
COPY attachments ./attachments
COPY privacy ./privacy
COPY reports ./reports
COPY staffauth ./staffauth
COPY assistant ./assistant
COPY templates ./templates
COPY locale ./locale
# Static files collected at build time (settings need a key, not a database).
RUN SECRET_KEY=build-only-not-used-at-run-time python manage.py collectstatic --noinput \
    && python -m compileall -q . \
    && mkdir /exports /media && chown app:app /exports /media

# Runs as an unprivileged user; it owns nothing in /app, so the code cannot be changed at
# run time. Offboarding's exports go to COUNCIL_EXPORT_DIR and residents' attachments to
# MEDIA_ROOT (volumes in compose.yaml).
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-m", "config.healthcheck"]
# daphne that drains on SIGTERM (closes sockets with 1012, exits within SHUTDOWN_GRACE_SECONDS):
# reliability/serve.py. 64 KiB websocket messages at most, answered with 1009 above that (the
# consumers refuse frames over 16 KiB politely); a handshake may wait 30 s for its turn in a
# reconnect storm (docs/performance.md, B2). No --proxy-headers: it believes anyone's
# X-Forwarded-For; set TRUSTED_PROXIES to the load balancer's addresses instead.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "reliability.serve", "-b", "0.0.0.0", "-p", "8000", "--websocket-max-message-size", "65536", "--websocket-max-frame-size", "65536", "--websocket_connect_timeout", "30", "config.asgi:application"]
