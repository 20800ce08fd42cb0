"""Widget benchmark (issue 4): what the widget costs a council's page.

    python -m bench.widget_bench [--quick]        # or: make bench-widget [BENCH_QUICK=1]

Needs DATABASE_URL and REDIS_URL and Debian's Chromium at /usr/bin/chromium. Uses its own
database (`<name>_widget_bench`, recreated and seeded with the demo each run), a daphne
process on a free port and its own channel-layer prefix.

Reports, for a council page (straight to Parking) and the partnership's shared page:
- the gzipped bytes of everything the widget loads at start (embed.js, /widget/config), each
  and in total, against the 20 KB budget;
- time to interactive in headless Chromium: the page's load event without the widget (the
  baseline, embed.js blocked) and, with it, the moment the launcher is ready (the
  `councilchat:ready` performance mark), medians over the runs, measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BUDGET_BYTES = 20 * 1024
PAGES = {
    "council page (Parking)": ("dorset.localhost", "/parking/pay-a-parking-fine"),
    "partnership page": ("dorsetforyou.localhost", "/"),
}


def say(text: str) -> None:
    print(f"[widget-bench] {text}", flush=True)


def bench_database_url() -> str:
    url = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/councilchat"))
    name = (url.path.lstrip("/") or "councilchat") + "_widget_bench"
    return urlunsplit(url._replace(path="/" + name))


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz", headers={"Host": "localhost"}
            )
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("daphne did not start")


def measure_page(browser, url: str, runs: int) -> dict:
    loaded: dict[str, int] = {}
    baseline, ready = [], []
    for run in range(runs + 1):  # the first run of each kind warms caches and is dropped
        for with_widget in (False, True):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            if not with_widget:
                page.route("**/widget/embed.js", lambda route: route.abort())
            else:

                def keep(response):
                    path = urlsplit(response.url).path
                    if "/widget/" in path and response.request.method == "GET":
                        with contextlib.suppress(Exception):  # a body may be gone: skip it
                            loaded[path] = len(gzip.compress(response.body(), 9))

                page.on("response", keep)
            page.goto(url, wait_until="load")
            load_ms = page.evaluate(
                "() => performance.getEntriesByType('navigation')[0].loadEventEnd"
            )
            if with_widget:
                page.wait_for_function(
                    "() => performance.getEntriesByName('councilchat:ready').length"
                )
                mark = page.evaluate(
                    "() => performance.getEntriesByName('councilchat:ready')[0].startTime"
                )
                if run:
                    ready.append(max(load_ms, mark))
            elif run:
                baseline.append(load_ms)
            context.close()
    total = sum(loaded.values())
    return {
        "gzipped_bytes": loaded,
        "gzipped_total": total,
        "within_budget": total <= BUDGET_BYTES,
        "baseline_load_ms_p50": round(statistics.median(baseline), 1),
        "widget_ready_ms_p50": round(statistics.median(ready), 1),
        "widget_cost_ms_p50": round(statistics.median(ready) - statistics.median(baseline), 1),
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    args = parser.parse_args(argv)
    runs = 3 if args.quick else 15
    database_url = bench_database_url()
    say(f"recreating {urlsplit(database_url).path.lstrip('/')}")
    recreate_database(database_url)
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        CHANNEL_LAYER_PREFIX="ccwidgetbench",
        CACHE_PREFIX="ccwidgetbench",
        DEMO_PASSWORD="widget-bench-only",  # noqa: S106 (a throwaway bench database)
        DEMO="1",  # the demo's pages carry the widget it measures
        DEBUG="1",  # plain http on loopback, like `make demo`
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
    port = free_port()
    server = start_server(env, port)
    from playwright.sync_api import sync_playwright

    results = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--no-proxy-server"],
            )
            for name, (host, path) in PAGES.items():
                say(f"measuring the {name} ({runs} runs)")
                results[name] = measure_page(browser, f"http://{host}:{port}{path}", runs)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    report = {"budget_bytes": BUDGET_BYTES, "pages": results, "quick": args.quick}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "widget.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Widget benchmark",
        "",
        "Gzipped bytes of what the widget loads at start, and time to interactive in headless "
        "Chromium (medians), against the same page with the widget blocked, in the same run.",
        "",
        "| page | embed.js | config | total (budget 20 KB) | page load, no widget | "
        "widget ready | cost |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        sizes = r["gzipped_bytes"]
        lines.append(
            f"| {name} | {sizes.get('/widget/embed.js', 0):,} B | "
            f"{sizes.get('/widget/config', 0):,} B | {r['gzipped_total']:,} B "
            f"({'within' if r['within_budget'] else 'OVER'}) | {r['baseline_load_ms_p50']} ms | "
            f"{r['widget_ready_ms_p50']} ms | +{r['widget_cost_ms_p50']} ms |"
        )
    (RESULTS / "widget.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if all(r["within_budget"] for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
