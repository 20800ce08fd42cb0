"""The bench harness works and counts losses. Timings are never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.loadgen import LossCounter, percentiles
from tests.e2e.conftest import ROOT, _free_port
from tests.factories import accepted_chat_in, operator_in
from tests.sockets import login_session_unsafe


def run_loadgen(spec: dict, tmp_path: Path) -> dict:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT "), done.stdout + done.stderr
    return json.loads(last.removeprefix("RESULT "))


def test_the_loss_counter_counts_a_message_that_never_arrived_and_a_gap_in_seqs():
    counter = LossCounter()
    for n, client_id in enumerate(["a", "b", "c"]):
        counter.on_sent(client_id, float(n))
    counter.on_ack("a", 0.5)
    counter.on_delivered("a", 0.5)
    counter.on_delivered("c", 2.5)
    counter.on_delivered("c", 2.6)
    for seq in (7, 8, 10):  # 9 is missing
        counter.on_seq("conversation", seq)

    assert counter.lost == 1
    assert counter.unacked == 2
    assert counter.duplicates == 1
    assert counter.seq_gaps == 1


def test_percentiles_report_milliseconds_and_an_empty_run_has_none():
    assert percentiles([0.001, 0.002, 0.003])["max_ms"] == 3.0
    assert percentiles([])["p99_ms"] is None


def test_the_generator_counts_every_echo_of_a_floor_server(tmp_path):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.raw_echo", str(port)], cwd=ROOT)
    try:
        spec = {
            "mode": "latency",
            "floor": True,
            "port": port,
            "rate": 40,
            "duration_s": 0.5,
            "drain_s": 3,
            "pairs": [{"key": str(i), "visitor": {"path": "/"}} for i in range(3)],
            "hard_limit_s": 30,
        }
        for _attempt in range(50):  # until it listens
            try:
                result = run_loadgen(spec, tmp_path)
                break
            except subprocess.CalledProcessError:
                continue
        else:
            pytest.fail("the echo server never answered")
    finally:
        server.terminate()
        server.wait(timeout=10)

    assert result["sent"] == 20
    assert result["delivered"]["n"] == 20
    assert (result["lost"], result["duplicates"]) == (0, 0)


@pytest.mark.live_server
@pytest.mark.usefixtures("staffed")
def test_visitor_messages_through_daphne_are_all_stored_and_delivered_to_the_operator(
    councils, daphne_server, tmp_path
):
    alex = operator_in(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    chats = [accepted_chat_in(councils.alpha, alex) for _ in range(2)]
    host = councils.alpha.hosts[0]
    session = login_session_unsafe(councils.alpha, "alex")
    visitor = {"host": host, "origin": f"http://{host}"}
    spec = {
        "mode": "latency",
        "port": daphne_server.port,
        "rate": 20,
        "duration_s": 1,
        "drain_s": 5,
        "pairs": [
            {
                "key": str(chat.id),
                "visitor": dict(visitor, path=f"/ws/visitor/{chat.id}/?token={chat.token}"),
                "operator": 0,
            }
            for chat in chats
        ],
        "operators": [dict(visitor, path="/ws/operator/", cookie=f"sessionid={session}")],
        "hard_limit_s": 40,
    }

    result = run_loadgen(spec, tmp_path)

    assert result["sent"] == 20
    assert result["stored"]["n"] == 20
    assert result["delivered"]["n"] == 20
    assert (result["lost"], result["unacked"], result["seq_gaps"], result["errors"]) == (0, 0, 0, 0)
