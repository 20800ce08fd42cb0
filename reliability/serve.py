"""daphne that drains on SIGTERM: `python -m reliability.serve [daphne's options] APP`.

Plain daphne stops its reactor on SIGTERM and cancels every application: each socket ends
with 1006 and no close frame, and the consumers never run their disconnect, so their group
memberships stay in Redis until they expire and live daphnes buffer messages for dead
channels (issue 12). This is daphne's own command line with a server that, on SIGTERM or
SIGINT:

1. stops listening (the load balancer's health check fails and it sends new connections to
   the other processes; docs/operations.md describes the drain);
2. closes every websocket with 1012 ("service restart") and a close frame; the widget and the
   console reconnect after a short random pause, so a redeploy is not a reconnect storm;
3. lets each consumer run its disconnect (leave its groups, end its heartbeat);
4. exits when every connection is gone, or after SHUTDOWN_GRACE_SECONDS (default 20, below
   Docker's and Kubernetes' 30 s before SIGKILL). A second signal stops at once.

It also answers a message over daphne's limit (--websocket-max-message-size, 64 KiB in our
deployments) with a 1009 close frame instead of dropping the TCP connection (autobahn's
failByDrop), and warns at start when PostgreSQL's settings can lose acked messages.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
from typing import Any

from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol

logger = logging.getLogger("reliability.serve")

SERVICE_RESTART = 1012
DEFAULT_GRACE_S = 20.0


def grace_seconds() -> float:
    try:
        return float(os.environ.get("SHUTDOWN_GRACE_SECONDS", DEFAULT_GRACE_S))
    except ValueError:
        return DEFAULT_GRACE_S


class DrainingServer(Server):
    """daphne's Server with a drain on SIGTERM/SIGINT instead of an abrupt stop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["signal_handlers"] = False  # ours, below; Twisted's would stop at once
        super().__init__(*args, **kwargs)
        self.ports: list[Any] = []
        self.draining_since: float | None = None

    def run(self) -> None:
        from twisted.internet import reactor

        from reliability.durability import warn_if_not_durable

        warn_if_not_durable()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        reactor.callWhenRunning(self._configure_websockets)
        # Everything loaded so far (Django, the app, its modules: most of the heap) is
        # moved out of the collector's sight. Without it a full collection walked it all,
        # 50-86 ms with every socket and the ORM threads stopped (measured under the soak,
        # docs/reliability.md); with it, a collection walks what requests and sockets made.
        gc.freeze()
        super().run()

    def _configure_websockets(self) -> None:
        # A message over the size limit: a 1009 close frame rather than a dropped connection.
        self.ws_factory.setProtocolOptions(failByDrop=False)

    def listen_success(self, port: Any) -> None:
        self.ports.append(port)
        super().listen_success(port)

    def _on_signal(self, signum: int, frame: Any) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(self.drain, signum)

    def drain(self, signum: int = signal.SIGTERM) -> None:
        from twisted.internet import reactor

        if self.draining_since is not None:
            logger.warning("second signal while draining: stopping now")
            self.stop()
            return
        self.draining_since = time.monotonic()
        sockets = [p for p in self.connections if isinstance(p, WebSocketProtocol)]
        logger.info(
            "signal %s: draining (%d websockets, at most %.0f s)",
            signum,
            len(sockets),
            grace_seconds(),
        )
        for port in self.ports:
            port.stopListening()
        for protocol in sockets:
            try:
                if protocol.state == WebSocketProtocol.STATE_OPEN:
                    # autobahn's sendClose() allows applications only 1000 and 3000-4999;
                    # 1012 is a server's code (RFC 6455 registry), so send the frame itself.
                    protocol.sendCloseFrame(
                        code=SERVICE_RESTART, reasonUtf8=b"server restarting", isReply=False
                    )
                elif protocol.state == WebSocketProtocol.STATE_CONNECTING:
                    protocol.dropConnection(abort=True)
            except Exception:
                logger.exception("could not close a websocket while draining")
        reactor.callLater(0.1, self._stop_when_drained)

    def kill_all_applications(self):
        # daphne's own assumes every connection still has an application instance; after a
        # drain the reaped ones have none (KeyError at shutdown).
        for protocol, details in list(self.connections.items()):
            if "application_instance" not in details:
                del self.connections[protocol]
        return super().kill_all_applications()

    def _busy(self) -> int:
        """Connections still open or whose application has not finished."""
        busy = 0
        for details in self.connections.values():
            instance = details.get("application_instance")
            if "disconnected" not in details or (instance is not None and not instance.done()):
                busy += 1
        return busy

    def _stop_when_drained(self) -> None:
        from twisted.internet import reactor

        waited = time.monotonic() - (self.draining_since or time.monotonic())
        busy = self._busy()
        if busy and waited < grace_seconds():
            reactor.callLater(0.1, self._stop_when_drained)
            return
        if busy:
            logger.warning("grace period over with %d connections still busy: stopping", busy)
        else:
            logger.info("drained in %.1f s: stopping", waited)
        self.stop()


class DrainingCommandLineInterface(CommandLineInterface):
    server_class = DrainingServer


def main(argv: list[str] | None = None) -> None:
    DrainingCommandLineInterface().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
