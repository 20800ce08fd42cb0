"""The ORM threads' queues (councils/lanes.py): a socket that has held the thread lately
waits behind lighter sockets' calls, within a bound; a socket's own calls keep their order;
nothing is lost or run twice."""

from __future__ import annotations

import threading

import pytest
from asgiref.sync import SyncToAsync

from councils.lanes import DEFER_PER_SECOND_USED, FairLane, LaneShare, lane_share


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def queue_behind_a_held_thread(lane: FairLane, calls: list[tuple[LaneShare | None, str]]):
    """Hold the lane's thread, queue `calls` (share, name) in that order, release; return
    the order they ran in."""
    release, holding = threading.Event(), threading.Event()
    ran: list[str] = []

    def hold() -> None:
        holding.set()
        release.wait(5)

    futures = [lane.submit(hold)]
    holding.wait(5)
    for share, name in calls:
        token = lane_share.set(share)
        try:
            futures.append(lane.submit(ran.append, name))
        finally:
            lane_share.reset(token)
    release.set()
    for future in futures:
        future.result(timeout=5)
    return ran


def test_a_call_from_a_socket_that_held_the_thread_lately_runs_after_a_lighter_sockets():
    clock = Clock()
    lane = FairLane("test-lane", clock=clock)
    hostile, resident = LaneShare(clock), LaneShare(clock)
    hostile.held(0.2)  # 200 ms of the thread just now
    resident.held(0.01)
    ran = queue_behind_a_held_thread(
        lane, [(hostile, "hostile note"), (resident, "resident message")]
    )
    assert ran == ["resident message", "hostile note"]
    lane.shutdown()


def test_the_heavier_socket_is_deferred_by_a_bounded_time_and_never_starved():
    clock = Clock()
    lane = FairLane("test-lane", clock=clock)
    hostile, resident = LaneShare(clock), LaneShare(clock)
    hostile.held(0.2)
    release, holding = threading.Event(), threading.Event()
    ran: list[str] = []
    futures = [lane.submit(lambda: (holding.set(), release.wait(5)))]
    holding.wait(5)

    def queue(share: LaneShare, name: str) -> None:
        token = lane_share.set(share)
        futures.append(lane.submit(ran.append, name))
        lane_share.reset(token)

    queue(hostile, "hostile")
    deferred_by = DEFER_PER_SECOND_USED * 0.2
    clock.now += deferred_by * 0.5
    queue(resident, "resident queued within the deferral")
    clock.now += deferred_by
    queue(resident, "resident queued after it")
    release.set()
    for future in futures:
        future.result(timeout=5)
    assert ran == ["resident queued within the deferral", "hostile", "resident queued after it"]
    lane.shutdown()


def test_one_sockets_calls_run_in_the_order_it_made_them_even_as_its_share_decays():
    clock = Clock()
    lane = FairLane("test-lane", clock=clock)
    socket = LaneShare(clock)
    socket.held(0.5)
    release, holding = threading.Event(), threading.Event()
    ran: list[int] = []
    futures = [lane.submit(lambda: (holding.set(), release.wait(5)))]
    holding.wait(5)
    token = lane_share.set(socket)
    for n in range(5):
        futures.append(lane.submit(ran.append, n))
        clock.now += 0.3  # its share decays while the earlier calls wait
    lane_share.reset(token)
    release.set()
    for future in futures:
        future.result(timeout=5)
    assert ran == [0, 1, 2, 3, 4]
    assert socket.waiting == 0
    lane.shutdown()


def test_a_calls_exception_reaches_its_caller_and_the_lane_goes_on():
    lane = FairLane("test-lane")

    def fails() -> None:
        raise ValueError("no such chat")

    with pytest.raises(ValueError, match="no such chat"):
        lane.submit(fails).result(timeout=5)
    assert lane.submit(lambda: 42).result(timeout=5) == 42
    lane.shutdown()
    with pytest.raises(RuntimeError):
        lane.submit(lambda: 1)


def test_a_share_decays_with_its_half_life():
    clock = Clock()
    share = LaneShare(clock)
    share.held(0.4)
    clock.now += 2.0
    assert share.level() == pytest.approx(0.2)


def test_the_chat_lane_is_asgirefs_thread_sensitive_executor_so_the_process_keeps_two_threads():
    assert isinstance(SyncToAsync.single_thread_executor, FairLane)
