"""Onboarding time per council: cloning the prepared base schema against running every
migration, in the same run, for 1 and for 20 councils.

    python -m bench.onboarding_bench [--sizes 1,20] [--keep]
    make bench-onboarding

Uses its own database (`<name of DATABASE_URL>_bench_onboarding`, dropped and created here)
so nothing else is disturbed. Both methods go through `councils.onboarding.council_onboard`,
the code `onboard_council` runs (schema, roles, default department, branding, first admin and
their set-password email), alternating clone and migrate council by council so that a change
in the machine's load hits both alike. The one-off preparation of the base schema is
reported on its own. Results: bench/results/onboarding.json and onboarding.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from bench.own_database import run_in_own_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def log(message: str) -> None:
    print(f"[onboarding-bench] {message}", flush=True)


def summary(seconds: list[float]) -> dict:
    return {
        "councils": len(seconds),
        "total_s": round(sum(seconds), 3),
        "mean_s": round(statistics.mean(seconds), 3),
        "median_s": round(statistics.median(seconds), 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
    }


def run(sizes: list[int]) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from councils.onboarding import CouncilSpec, base_schema_prepare, council_onboard

    started = time.perf_counter()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    log(f"public schema migrated in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    base_schema_prepare(verbosity=0, force_check=True)
    base_s = time.perf_counter() - started
    log(f"base schema council_base prepared (one-off) in {base_s:.2f} s")

    # One council of each kind first, not counted: the first onboarding in a process also pays
    # for imports, the migration loader and creating the SQL clone function.
    warmup = {}
    for method in ("clone", "migrate"):
        began = time.perf_counter()
        council_onboard(
            CouncilSpec(
                name=f"Warm-up {method}",
                slug=f"warmup-{method}",
                hosts=(f"warmup-{method}.bench.localhost",),
                admin_email="admin@warmup.example.invalid",
            ),
            method=method,
        )
        warmup[method] = round(time.perf_counter() - began, 3)
    log(f"first council in this process (not counted): {warmup}")

    runs = []
    for size in sizes:
        times: dict[str, list[float]] = {"clone": [], "migrate": []}
        for index in range(size):
            for method in ("clone", "migrate"):
                slug = f"{method}-{size}-{index}"
                spec = CouncilSpec(
                    name=f"Bench {slug}",
                    slug=slug,
                    hosts=(f"{slug}.bench.localhost",),
                    admin_email=f"admin@{slug}.example.invalid",
                )
                began = time.perf_counter()
                result = council_onboard(spec, method=method)
                elapsed = time.perf_counter() - began
                assert result.created and result.method == method
                times[method].append(elapsed)
            connection.set_schema_to_public()
            if size > 1:
                log(
                    f"  {size} councils: {index + 1}/{size} "
                    f"(clone {times['clone'][-1]:.2f} s, migrate {times['migrate'][-1]:.2f} s)"
                )
        clone, migrate = summary(times["clone"]), summary(times["migrate"])
        ratio = migrate["median_s"] / clone["median_s"]
        runs.append({"size": size, "clone": clone, "migrate": migrate, "speedup": round(ratio, 1)})
        log(
            f"{size} council(s): clone median {clone['median_s']:.2f} s/council "
            f"(total {clone['total_s']:.1f} s), migrate median {migrate['median_s']:.2f} "
            f"s/council (total {migrate['total_s']:.1f} s): clone is {ratio:.1f}x faster"
        )
    return {"base_schema_prepare_s": round(base_s, 3), "first_in_process_s": warmup, "runs": runs}


def write_results(data: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "onboarding.json").write_text(json.dumps(data, indent=2) + "\n")
    lines = [
        "# Onboarding: cloning the base schema vs running every migration",
        "",
        f"Run {data['when']} on {data['machine']}; one process, PostgreSQL at "
        f"{data['database_host']}. Each figure is one council onboarded through "
        "`council_onboard` (schema, roles, default department, branding, first admin and "
        "email), clone and migrate alternating council by council.",
        "",
        f"Preparing the base schema (once, and again only when migrations change): "
        f"{data['base_schema_prepare_s']:.2f} s. The first council of each kind in the "
        f"process (not counted below; it also pays for imports and the migration loader): "
        f"clone {data['first_in_process_s']['clone']:.2f} s, "
        f"migrate {data['first_in_process_s']['migrate']:.2f} s.",
        "",
        "| councils | method | median s/council | mean | min | max | total s |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for run in data["runs"]:
        for method in ("clone", "migrate"):
            s = run[method]
            lines.append(
                f"| {run['size']} | {method} | {s['median_s']:.2f} | {s['mean_s']:.2f} | "
                f"{s['min_s']:.2f} | {s['max_s']:.2f} | {s['total_s']:.1f} |"
            )
    lines.append("")
    for run in data["runs"]:
        lines.append(
            f"- {run['size']} council(s): cloning is **{run['speedup']}x** faster "
            "(median per council)."
        )
    (RESULTS / "onboarding.md").write_text("\n".join(lines) + "\n")
    log(f"wrote {RESULTS / 'onboarding.json'} and onboarding.md")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_ONBOARDING_SIZES", "1,20"))
    parser.add_argument("--keep", action="store_true", help="Keep the bench database.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    data = run_in_own_database("bench_onboarding", lambda url: run(sizes), keep=args.keep, log=log)
    write_results(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
