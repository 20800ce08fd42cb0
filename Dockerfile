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
RUN pip install .

COPY manage.py ./
COPY templates ./templates
# collectstatic needs settings but no database.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': 'localhost'})).status != 200)"
# 64 KiB websocket messages at most (the consumers refuse frames over 16 KiB politely); a
# handshake may wait 30 s for its turn in a reconnect storm (docs/performance.md, B2).
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", "--websocket-max-message-size", "65536", "--websocket-max-frame-size", "65536", "--websocket_connect_timeout", "30", "config.asgi:application"]
