"""Social benchmark (issue 13): Meta's webhook against the widget's path, in one run.

    python -m bench.social_bench [--quick]        # or: make bench-social [BENCH_QUICK=1]

Needs DATABASE_URL and REDIS_URL. Uses its own database (`<name>_social_bench`, recreated
and seeded with the demo each run), one daphne process, one Celery worker and the Graph API
stand-in, all on this machine, with their own channel-layer prefix (tasks use REDIS_URL's
default queue: do not run it beside a demo on the same Redis database).

Reports, for West Dorset:
- intake: signed POST /webhooks/meta answered 200 per second (verified and stored in the
  inbox) against POST /widget/conversations per second (a chat stored in the queue), the
  same number of requests from the same number of client threads;
- webhook to console: from the POST of a resident's WhatsApp message to the operator's
  socket receiving the chat (`queue_add`), through the inbox, the worker and the layer,
  against a widget chat from its POST to the same frame. Medians and 95th centiles, and
  the ratios social / widget.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench.widget_bench import bench_database_url, free_port, recreate_database, start_server

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SECRET = "social-bench-secret"  # noqa: S105 (a throwaway bench app secret)
HOST = "west-dorset.localhost"
PHONE = "200000000000001"


def say(text: str) -> None:
    print(f"[social-bench] {text}", flush=True)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def whatsapp_body(phone_id: str, text: str) -> bytes:
    sender = "4477" + str(uuid.uuid4().int)[:8]
    message = {
        "from": sender,
        "id": "wamid.BENCH" + uuid.uuid4().hex,
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "447700900000", "phone_number_id": phone_id},
        "contacts": [{"profile": {"name": "Bench"}, "wa_id": sender}],
        "messages": [message],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


def webhook_request(port: int, phone_id: str, text: str) -> tuple[str, str, bytes, dict]:
    body = whatsapp_body(phone_id, text)
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Host": f"localhost:{port}",
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature,
    }
    return "POST", "/webhooks/meta", body, headers


def widget_request(port: int, text: str) -> tuple[str, str, bytes, dict]:
    body = json.dumps(
        {
            "name": "Bench",
            "message": text,
            "page_url": f"http://{HOST}/parking/pay-a-parking-fine",
            "department": "parking",
        }
    ).encode()
    headers = {
        "Host": f"{HOST}:{port}",
        "Origin": f"http://{HOST}:{port}",
        "Content-Type": "application/json",
    }
    return "POST", "/widget/conversations", body, headers


def throughput(port: int, make, total: int, threads: int) -> dict:
    """`total` requests from `threads` keep-alive clients; answered-as-expected per second."""
    counts = {"ok": 0, "other": 0}
    lock = threading.Lock()
    per_thread = total // threads

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(per_thread):
            method, path, body, headers = make()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                counts["ok" if response.status in (200, 201) else "other"] += 1
        conn.close()

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return {
        "requests": per_thread * threads,
        "ok": counts["ok"],
        "other": counts["other"],
        "seconds": round(elapsed, 3),
        "per_second": round(counts["ok"] / elapsed, 1),
    }


def to_console(port: int, cookie: str, send, runs: int) -> list[float]:
    """Time from `send(marker)` to the console socket's queue_add carrying the marker."""
    import socket

    from websockets.sync.client import connect

    # The council's host name in the URL (so in Host), the connection to 127.0.0.1.
    url = f"ws://{HOST}:{port}/ws/operator/"
    headers = {"Origin": f"http://{HOST}:{port}", "Cookie": f"sessionid={cookie}"}
    times = []
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    with connect(url, sock=sock, additional_headers=headers, open_timeout=10) as ws:
        hello = json.loads(ws.recv(timeout=10))
        if hello.get("type") != "hello":
            raise RuntimeError(f"the console socket was refused: {hello}")
        for i in range(runs):
            marker = f"bench-{uuid.uuid4().hex[:12]}"
            started = time.perf_counter()
            send(marker)
            while True:
                frame = json.loads(ws.recv(timeout=30))
                if frame.get("type") == "queue_add" and marker in (
                    frame["conversation"].get("preview") or ""
                ):
                    times.append((time.perf_counter() - started) * 1000)
                    break
            if i % 10 == 0:
                operator_online()
    return times


def post_once(port: int, request) -> int:
    method, path, body, headers = request
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def operator_online() -> None:
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from routing.models import ConsoleSocket, OperatorPresence

    with schema_context("council_west_dorset"):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username="sam")
        OperatorPresence.objects.update_or_create(
            user_id=user.id, defaults={"status": "online", "last_seen": timezone.now()}
        )
        ConsoleSocket.objects.update_or_create(
            channel_name=f"bench-console-{user.id}",
            defaults={"user_id": user.id, "beat_at": timezone.now() + timedelta(days=1)},
        )


def setup_council() -> str:
    """Manual assignment (chats stay queued), sam online; returns sam's session cookie."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_tenants.utils import schema_context

    from routing.models import RoutingSettings

    with schema_context("council_west_dorset"):
        RoutingSettings.objects.update_or_create(
            pk=1, defaults={"assignment_strategy": "manual", "queue_cap": None}
        )
        operator_online()
        client = Client(HTTP_HOST=HOST)
        client.force_login(get_user_model().objects.get(username="sam"))
        return client.cookies["sessionid"].value


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(p95(values), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    args = parser.parse_args(argv)
    total, threads, runs = (200, 4, 15) if args.quick else (1000, 8, 50)
    database_url = bench_database_url().replace("_widget_bench", "_social_bench")
    say(f"database {database_url.rsplit('/', 1)[-1]} (recreated)")
    recreate_database(database_url)
    from social.graph_standin import serve

    standin = serve(0)
    run_id = uuid.uuid4().hex[:6]
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECURE_COOKIES="false",
        SECRET_KEY="social-bench-only-" + run_id,
        CHANNEL_LAYER_PREFIX=f"ccsocialbench{run_id}",
        CACHE_PREFIX=f"ccsocialbench{run_id}",
        DEMO_PASSWORD="social-bench-only",  # noqa: S106 (a throwaway bench database)
        META_APP_SECRET=SECRET,
        META_GRAPH_URL=f"http://127.0.0.1:{standin.server_port}/v26.0",
        WIDGET_RATE_CHATS="100000000/60",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate_schemas", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "CACHE_PREFIX", "DEBUG")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    cookie = setup_council()
    port = free_port()
    server = start_server(env, port)
    celery = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-l",
            "warning",
            "--concurrency",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict = {"quick": args.quick, "threads": threads}
    try:
        time.sleep(3)  # the worker's start-up
        say(f"intake: {total} signed webhooks (an unknown id: intake only), {threads} clients")
        results["webhook_intake"] = throughput(
            port, lambda: webhook_request(port, "299999999999999", "intake"), total, threads
        )
        say(f"intake: {total} widget chats from {threads} clients")
        results["widget_intake"] = throughput(
            port, lambda: widget_request(port, "intake"), total, threads
        )
        say(f"to the console: {runs} WhatsApp messages, then {runs} widget chats, one at a time")
        time.sleep(5)  # let the worker drain the intake phase's inbox
        social = to_console(
            port, cookie, lambda m: post_once(port, webhook_request(port, PHONE, m)), runs
        )
        widget = to_console(port, cookie, lambda m: post_once(port, widget_request(port, m)), runs)
        results["webhook_to_console"] = summary(social)
        results["widget_to_console"] = summary(widget)
    finally:
        celery.terminate()
        server.terminate()
        for process in (celery, server):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        standin.shutdown()
    w, g = results["webhook_intake"], results["widget_intake"]
    s, c = results["webhook_to_console"], results["widget_to_console"]
    results["ratios"] = {
        "intake_webhook_over_widget": round(w["per_second"] / g["per_second"], 2),
        "to_console_p50_social_over_widget": round(s["p50_ms"] / c["p50_ms"], 2),
        "to_console_p95_social_over_widget": round(s["p95_ms"] / c["p95_ms"], 2),
    }
    say(
        f"intake: webhook {w['per_second']}/s ({w['other']} not 200), widget {g['per_second']}/s "
        f"({g['other']} not 201): ratio {results['ratios']['intake_webhook_over_widget']}"
    )
    say(
        f"to console: WhatsApp p50 {s['p50_ms']} ms p95 {s['p95_ms']} ms; "
        f"widget p50 {c['p50_ms']} ms p95 {c['p95_ms']} ms: "
        f"ratio p50 {results['ratios']['to_console_p50_social_over_widget']}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "social.json").write_text(json.dumps(results, indent=2) + "\n")
    say(f"written to {RESULTS / 'social.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
