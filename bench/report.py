"""The short Markdown table of a run (also pasted into docs/performance.md)."""

from __future__ import annotations

from typing import Any

# daphne's --websocket_connect_timeout as the Dockerfile and `make demo` run it (bench B2).
DEPLOYED_CONNECT_TIMEOUT_S = 30


def ratio(ours: float | None, floor: float | None) -> str:
    if ours is None or not floor:
        return "-"
    return f"x{ours / floor:.2f}"


def num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def pct(run: dict[str, Any], which: str, key: str) -> float | None:
    return run.get(which, {}).get(key)


def mark(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "**not met**")


def b1(out: dict[str, Any], lines: list[str]) -> dict[str, Any]:
    rows = out.get("B1")
    if not rows:
        return {}
    by = {(r["server"], r["n"]): r for r in rows}
    lines += [
        "### B1 idle visitor sockets (one process)",
        "",
        "| sockets | raw websockets KiB/socket | Channels floor KiB/socket | CouncilChat "
        "KiB/socket | ours ÷ Channels floor | idle CPU % raw / floor / ours | opened "
        "(ours) | dropped while idle (ours) | accepts/s floor / ours |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    verdict: dict[str, Any] = {}
    for n in sorted({r["n"] for r in rows}):
        raw, echo, app = by.get(("raw", n), {}), by.get(("echo", n), {}), by.get(("app", n), {})
        lines.append(
            f"| {n:,} | {num(raw.get('kib_per_socket'))} | {num(echo.get('kib_per_socket'))} "
            f"| {num(app.get('kib_per_socket'))} "
            f"| {ratio(app.get('kib_per_socket'), echo.get('kib_per_socket'))} "
            f"| {num(raw.get('idle_cpu_pct'), 2)} / {num(echo.get('idle_cpu_pct'), 2)} / "
            f"{num(app.get('idle_cpu_pct'), 2)} | {app.get('opened', '-')} "
            f"| {app.get('dropped_while_idle', '-')} "
            f"| {num(echo.get('accept_rate_per_s'), 0)} / {num(app.get('accept_rate_per_s'), 0)} |"
        )
        if n == 15000 and app and echo:
            verdict["B1"] = (
                app["opened"] == n
                and app["dropped_while_idle"] == 0
                and app["kib_per_socket"] <= 1.3 * echo["kib_per_socket"]
            )
    lines.append("")
    return verdict


def latency_rows(
    title: str, runs: dict[str, Any], floors: dict[str, Any], lines: list[str]
) -> None:
    lines += [
        f"### {title}",
        "",
        "| msg/s | stored p50 / p99 / max ms | ÷ echo p99 | delivered p50 / p99 / max ms "
        "| ÷ group-hop p99 | lost | CPU ms/msg (÷ hop) | SQL / SET search_path / ORM calls "
        "per msg |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rate, run in runs.items():
        echo = floors.get("echo", {}).get(rate, {})
        hop = floors.get("hop", {}).get(rate, {})
        per = run.get("per_msg", {})
        lines.append(
            f"| {rate} | {num(pct(run, 'stored', 'p50_ms'), 2)} / "
            f"{num(pct(run, 'stored', 'p99_ms'), 2)} / {num(pct(run, 'stored', 'max_ms'), 1)} "
            f"| {ratio(pct(run, 'stored', 'p99_ms'), pct(echo, 'delivered', 'p99_ms'))} "
            f"| {num(pct(run, 'delivered', 'p50_ms'), 2)} / "
            f"{num(pct(run, 'delivered', 'p99_ms'), 2)} / "
            f"{num(pct(run, 'delivered', 'max_ms'), 1)} "
            f"| {ratio(pct(run, 'delivered', 'p99_ms'), pct(hop, 'delivered', 'p99_ms'))} "
            f"| {run['lost']} | {num(run.get('cpu_ms_per_msg'), 2)} "
            f"({ratio(run.get('cpu_ms_per_msg'), hop.get('cpu_ms_per_msg'))}) "
            f"| {per.get('statements', '-')} / {per.get('set_search_path', '-')} / "
            f"{per.get('orm_calls', '-')} |"
        )
    lines.append("")


def floors_table(floors: dict[str, Any], lines: list[str]) -> None:
    lines += [
        "### Floors (same run, same machine): round trip of one frame",
        "",
        "| msg/s | raw websockets p50 / p99 ms | Channels echo p50 / p99 ms | + one group hop "
        "p50 / p99 ms | CPU ms/msg raw / echo / hop | lost |",
        "|---|---|---|---|---|---|",
    ]
    for rate in floors.get("echo", {}):
        raw, echo, hop = (floors[k].get(rate, {}) for k in ("raw", "echo", "hop"))
        lines.append(
            f"| {rate} | {num(pct(raw, 'delivered', 'p50_ms'), 2)} / "
            f"{num(pct(raw, 'delivered', 'p99_ms'), 2)} | "
            f"{num(pct(echo, 'delivered', 'p50_ms'), 2)} / "
            f"{num(pct(echo, 'delivered', 'p99_ms'), 2)} | "
            f"{num(pct(hop, 'delivered', 'p50_ms'), 2)} / "
            f"{num(pct(hop, 'delivered', 'p99_ms'), 2)} | "
            f"{num(raw.get('cpu_ms_per_msg'), 3)} / {num(echo.get('cpu_ms_per_msg'), 3)} / "
            f"{num(hop.get('cpu_ms_per_msg'), 3)} | "
            f"{raw.get('lost', '-')} / {echo.get('lost', '-')} / {hop.get('lost', '-')} |"
        )
    lines.append("")


def markdown(out: dict[str, Any]) -> str:
    m = out["machine"]
    lines = [
        f"## Bench run {out['date']}{' (quick)' if out['quick'] else ''}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, Linux "
        f"{m['kernel']}; Python {m['python']}, Django {m['django']}, daphne {m['daphne']}, "
        f"websockets {m['websockets']}; {m['postgres']}; {m['redis']}. Server, load "
        f"generator, PostgreSQL and Redis share the machine. Whole run: "
        f"{out.get('elapsed_s', '?')} s. Proposed changes applied: "
        f"{out.get('experiments') or 'none'}.",
        "",
    ]
    verdict: dict[str, Any] = {}
    verdict.update(b1(out, lines))
    floors = out.get("floors", {})
    if floors:
        floors_table(floors, lines)
    if "B3" in out:
        latency_rows("B3 visitor → operator, one council", out["B3"], floors, lines)
        runs = out["B3"]
        r200 = runs.get("200")
        echo200 = floors.get("echo", {}).get("200")
        if r200 and echo200:
            p99 = r200["delivered"]["p99_ms"]
            verdict["B3"] = (
                p99 is not None
                and p99 <= 10
                and p99 <= 3 * echo200["delivered"]["p99_ms"]
                and all(r["lost"] == 0 for r in runs.values())
            )
    if "B6" in out:
        b6 = out["B6"]["runs"]
        latency_rows(f"B6 the same over {out['B6']['councils']} councils", b6, floors, lines)
        lines += [
            "| msg/s | p99 delivered 50 ÷ 1 council | CPU ms/msg 50 ÷ 1 council | SET "
            "search_path per ORM call (1 / 50 councils) |",
            "|---|---|---|---|",
        ]
        for rate, run in b6.items():
            base = out.get("B3", {}).get(rate, {})
            p99_ratio = ratio(pct(run, "delivered", "p99_ms"), pct(base, "delivered", "p99_ms"))
            lines.append(
                f"| {rate} | {p99_ratio} "
                f"| {ratio(run.get('cpu_ms_per_msg'), base.get('cpu_ms_per_msg'))} "
                f"| {base.get('set_search_path_per_orm_call', '-')} / "
                f"{run.get('set_search_path_per_orm_call', '-')} |"
            )
        lines.append("")
        base = out.get("B3", {}).get("200")
        run = b6.get("200")
        if base and run:
            verdict["B6"] = (
                run["cpu_ms_per_msg"] <= 1.1 * base["cpu_ms_per_msg"]
                and run["set_search_path_per_orm_call"] <= 1
            )
    if "B4" in out:
        b4 = out["B4"]
        floor_best = floors.get("hop_ladder", {}).get("best_rate")
        top = b4["ladder_top"]
        lines += [
            "### B4 highest sustained rate, stored and delivered, p99 ≤ 100 ms, 0 lost",
            "",
            "| | msg/s | steps (rate: delivered p99 ms, CPU %) |",
            "|---|---|---|",
            f"| CouncilChat | {b4['best_rate']}{'+' if b4['best_rate'] == top else ''} "
            f"({ratio(b4['best_rate'], floor_best)} of floor) | "
            + ", ".join(f"{s['rate']}: {s['p99_ms']}, {s['cpu_pct']}%" for s in b4["steps"])
            + " |",
        ]
        if floor_best is not None:
            steps = floors["hop_ladder"]["steps"]
            lines.append(
                f"| group-hop floor | {floor_best}{'+' if floor_best == top else ''} | "
                + ", ".join(f"{s['rate']}: {s['p99_ms']}, {s['cpu_pct']}%" for s in steps)
                + " |"
            )
        lines.append("")
        verdict["B4"] = b4["best_rate"] >= 2000
    if "scale_out" in out:
        latency_rows(
            "Scale-out: visitors on daphne 1, operators on daphne 2 (CPU is both processes)",
            out["scale_out"],
            floors,
            lines,
        )
    if "B2" in out:
        lines += [
            "### B2 reconnect storm: every socket drops and comes back at once, resuming",
            "",
            "| server | handshake timeout s | sockets | back | all back s | p50 back s | ÷ floor "
            "| reconnect failures | written while away | lost |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]

        def setting(row: dict) -> tuple:
            return (row.get("backlog", 50), row.get("connect_timeout_s", 5))

        floors_b2 = {setting(r): r for r in out["B2"] if r["server"] == "echo"}
        for row in out["B2"]:
            floor = floors_b2.get(setting(row), {})
            name = "Channels echo floor" if row["server"] == "echo" else "CouncilChat"
            if row.get("backlog", 50) != 50:
                name += f" (listen backlog {row['backlog']})"
            versus = ratio(row["all_back_s"], floor.get("all_back_s"))
            lines.append(
                f"| {name} | {row.get('connect_timeout_s', 5)} | {row['sockets']:,} "
                f"| {row.get('back', '-'):,} | {num(row['all_back_s'], 2)} "
                f"| {num(row['p50_back_s'], 2)} "
                f"| {versus if row['server'] == 'app' else ''} "
                f"| {row['reconnect_failures']} | {row['messages_written_while_away']} "
                f"| {row['lost']} |"
            )
        lines.append("")
        apps = [
            r
            for r in out["B2"]
            if r["server"] == "app" and setting(r) == (50, DEPLOYED_CONNECT_TIMEOUT_S)
        ] or [r for r in out["B2"] if r["server"] == "app" and setting(r) == (50, 5)]
        if apps and apps[0]["sockets"] >= 10000:
            r = apps[0]
            verdict["B2"] = r["all_back_s"] is not None and r["all_back_s"] <= 15 and r["lost"] == 0
    if "B5" in out:
        app, floor = out["B5"]["app"], out["B5"]["floor"]
        a = app["queue_add_to_all"]
        f = floor["queue_add_to_all"]
        rem = app["queue_remove_to_all"]
        lines += [
            "### B5 queue change to 20 operator consoles (3 active chats each, queue of 50)",
            "",
            "| | p50 ms | p99 ms | max ms | ÷ floor p99 | changes | lost |",
            "|---|---|---|---|---|---|---|",
            f"| new chat (HTTP POST → queue_add at all 20) | {num(a['p50_ms'], 2)} "
            f"| {num(a['p99_ms'], 2)} | {num(a['max_ms'], 1)} | {ratio(a['p99_ms'], f['p99_ms'])} "
            f"| {app['started']} | {app['lost']} |",
            f"| visitor ends (frame → queue_remove at all 20) | {num(rem['p50_ms'], 2)} "
            f"| {num(rem['p99_ms'], 2)} | {num(rem['max_ms'], 1)} | "
            f"{ratio(rem['p99_ms'], f['p99_ms'])} | {app['started']} | |",
            f"| floor: one group_send to 20 sockets | {num(f['p50_ms'], 2)} | "
            f"{num(f['p99_ms'], 2)} | {num(f['max_ms'], 1)} | | {floor['changes']} "
            f"| {floor['lost']} |",
            "",
        ]
    if "B7" in out:
        b7 = out["B7"]
        lines += [
            "### B7 `migrate_schemas` with nothing to migrate",
            "",
            "| councils | seconds | per council |",
            "|---|---|---|",
        ]
        for key, value in b7.items():
            if key.isdigit():
                lines.append(f"| {key} | {value} | {value / int(key):.2f} |")
        lines.append(f"| (`manage.py check`, for scale) | {b7.get('check_10')} | |")
        lines.append("")
    lines += ["### Targets", "", "| target | status |", "|---|---|"]
    labels = {
        "B1": "15,000 idle sockets at ≤ 1.3x the Channels floor's memory per socket",
        "B3": "200 msg/s: p99 ≤ 10 ms and ≤ 3x the Channels echo; 0 lost at every rate",
        "B4": "≥ 2,000 stored msg/s per process",
        "B2": "10,000 sockets back within 15 s, 0 lost (daphne as deployed: 30 s handshake "
        "timeout)",
        "B6": "50 councils ≤ 10% over 1 (CPU per message at 200/s); ≤ 1 SET search_path "
        "per checkout",
    }
    for key, label in labels.items():
        lines.append(f"| {key}: {label} | {mark(verdict.get(key))} |")
    lines.append("")
    out["verdict"] = verdict
    return "\n".join(lines)
