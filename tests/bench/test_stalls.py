"""The soak's pause detector (bench/stalls.py): which samples a pause of the whole machine
touched, and what a real pause of the watching thread looks like."""

from __future__ import annotations

import time

from bench.fuzz import latency_shape, outside_pauses
from bench.stalls import MachineStalls


def test_samples_whose_round_trip_overlaps_a_pause_are_left_out_and_no_others():
    stalls = MachineStalls()
    stalls.pauses = [(10.0, 10.5)]
    samples = [(9.0, 0.02), (9.9, 0.2), (10.2, 0.01), (10.6, 0.03), (11.0, 0.9)]
    assert outside_pauses(samples, stalls) == [0.02, 0.03, 0.9]
    assert stalls.within(9.5, 10.2) == {"count": 1, "seconds": 0.5}
    assert stalls.within(10.2, 12.0) == {"count": 0, "seconds": 0.0}


def test_a_thread_that_cannot_run_for_a_while_is_recorded_as_a_pause():
    stalls = MachineStalls().start()
    time.sleep(0.05)
    # What a paused machine looks like to the watcher: holding the GIL in one long C call.
    sum(range(30_000_000))
    time.sleep(0.05)
    stalls.stop()
    assert stalls.pauses, "the watcher saw no pause"
    assert max(end - start for start, end in stalls.pauses) > 0.1


def test_the_shape_of_a_window_says_when_its_slowest_messages_were_sent():
    samples = [(100.0 + i, 0.02) for i in range(20)] + [(130.0, 0.9), (131.0, 0.4)]
    shape = latency_shape(samples, start=100.0)
    assert shape["p50_s"] == 0.02
    assert shape["max_s"] == 0.9
    assert shape["over_200ms"] == 2
    assert shape["slowest"][:2] == [[30.0, 0.9], [31.0, 0.4]]
    assert latency_shape([], start=0.0) == {}
