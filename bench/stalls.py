"""Moments when the whole machine stopped, seen from outside the servers under test.

A thread of the harness sleeps 10 ms at a time and records every wake-up later than
`THRESHOLD_S`: the harness, both daphnes and PostgreSQL then all stood still, whatever the
servers were doing. On this shared 2-core virtual machine such pauses of 0.4-3.5 s were seen
in both daphnes' own watchdogs at the same instant, several times a minute in some runs,
and they land in the quiet and the fuzzed window alike (docs/reliability.md). The steal time
the kernel reports (/proc/stat: time the hypervisor gave this machine's CPUs to others) is
read at the same moments.

The soak reports its latency figures as measured, and beside them the same figures without
the samples whose round trip overlapped such a pause, with how many that left out.
"""

from __future__ import annotations

import threading
import time

THRESHOLD_S = 0.1
TICK_S = 0.01


def steal_seconds() -> float:
    """CPU time stolen by the hypervisor since boot, over all CPUs (0 where not reported)."""
    import os

    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class MachineStalls:
    """Records (start, end) in `time.monotonic()` of every pause over `THRESHOLD_S`."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-watch", daemon=True)

    def start(self) -> MachineStalls:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)

    def _watch(self) -> None:
        last = time.monotonic()
        while not self._stop.is_set():
            time.sleep(TICK_S)
            now = time.monotonic()
            if now - last > THRESHOLD_S:
                self.pauses.append((last, now))
            last = now

    def overlaps(self, start: float, end: float) -> bool:
        return any(p_start < end and start < p_end for p_start, p_end in self.pauses)

    def within(self, since: float, until: float) -> dict[str, float]:
        """How many pauses began in the window, and how long they lasted in all."""
        inside = [(a, b) for a, b in self.pauses if since <= a <= until]
        return {"count": len(inside), "seconds": round(sum(b - a for a, b in inside), 2)}
