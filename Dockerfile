# CouncilChat: one image for the web (daphne), worker and beat processes.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DEBUG=false

RUN groupadd --system app && useradd --system --gid app --home-dir /app app
WORKDIR /app

COPY pyproject.toml README.md ./
COPY config ./config
COPY councils ./councils
COPY chat ./chat
COPY routing ./routing
COPY widgets ./widgets
COPY reliability ./reliability
COPY outbox ./outbox
RUN pip install .

COPY manage.py ./
COPY templates ./templates
# collectstatic needs settings but no database.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': 'localhost'})).status != 200)"
# daphne that drains on SIGTERM (closes sockets with 1012, exits within SHUTDOWN_GRACE_SECONDS):
# reliability/serve.py. 64 KiB websocket messages at most, answered with 1009 above that (the
# consumers refuse frames over 16 KiB politely); a handshake may wait 30 s for its turn in a
# reconnect storm (docs/performance.md, B2). No --proxy-headers: it believes anyone's
# X-Forwarded-For; set TRUSTED_PROXIES to the load balancer's addresses instead.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "reliability.serve", "-b", "0.0.0.0", "-p", "8000", "--websocket-max-message-size", "65536", "--websocket-max-frame-size", "65536", "--websocket_connect_timeout", "30", "config.asgi:application"]
