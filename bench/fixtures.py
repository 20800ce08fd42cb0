"""Bench data, built through the real services in the bench database (idempotent).

    python -m bench.fixtures OUT.json [--idle N] [--councils N]

Fifty councils, `bench-c01` … `bench-c50` (created with `council_ensure`, schema and all):

* every council has an operator `solo` with 2 active chats (the 50-council B3: 100 chats
  and 50 operators spread over 50 schemas);
* `bench-c01` also has 50 operators with 2 active chats each (the 1-council B3: the same
  numbers in one schema);
* `bench-c02` has one operator allowed to hold every chat, and N active visitor chats
  (idle sockets, reconnect storms). Chats are started and accepted one by one, so the
  queue never grows (every start re-announces every queued visitor's position);
* `bench-c03` has 20 operators with 3 active chats each and a queue of 50 (B5).

`--only-councils` makes the councils and nothing else (B7's second database).

Writes the sockets' paths, tokens and session cookies to OUT.json for the load generator.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from chat.actions.lifecycle import conversation_accept, conversation_start  # noqa: E402
from chat.models import Conversation  # noqa: E402
from chat.operators import OperatorRef  # noqa: E402
from chat.tokens import visitor_token_issue  # noqa: E402
from councils.models import Council  # noqa: E402
from councils.services import council_ensure  # noqa: E402
from councils.sites import CouncilRef, clear_site_cache, council_ref  # noqa: E402
from routing.models import ConsoleSocket, OperatorPresence  # noqa: E402

PASSWORD = "bench-password-not-secret"  # noqa: S105


def log(message: str) -> None:
    print(f"[fixtures] {message}", file=sys.stderr, flush=True)


def council(slug: str, name: str) -> CouncilRef:
    connection.set_schema_to_public()
    made, created = council_ensure(name=name, slug=slug, hosts=[f"{slug}.localhost"])
    if created:
        log(f"created council {slug}")
    return council_ref(Council.objects.select_related("partnership").get(pk=made.pk))


def operator(ref: CouncilRef, username: str, max_chats: int) -> OperatorRef:
    """A staff user of the council, online, allowed `max_chats` chats (presence row)."""
    from django.utils import timezone

    with schema_context(ref.schema_name):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"is_staff": True, "first_name": username.title(), "last_name": "Bench"},
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
        presence, _ = OperatorPresence.objects.get_or_create(user=user)
        presence.max_chats = max_chats
        presence.status = OperatorPresence.Status.ONLINE
        presence.last_seen = timezone.now()
        presence.save()
        # A stand-in console socket (issue 15: only operators with one are assigned chats).
        ConsoleSocket.objects.update_or_create(
            channel_name=f"bench-console-{user.id}",
            defaults={"user": user, "beat_at": timezone.now() + timedelta(days=1)},  # the run
        )
        return OperatorRef(id=user.id, username=user.username, name=user.get_full_name())


def session_cookie(ref: CouncilRef, username: str) -> str:
    with schema_context(ref.schema_name):
        client = Client(HTTP_HOST=ref.hosts[0])
        client.force_login(get_user_model().objects.get(username=username))
        return f"sessionid={client.cookies['sessionid'].value}"


def active_chats(ref: CouncilRef, op: OperatorRef, want: int) -> list[str]:
    """`want` active chats of `op`, started and accepted through the services."""
    with schema_context(ref.schema_name):
        have = list(
            Conversation.objects.filter(operator_id=op.id, status=Conversation.Status.ACTIVE)
            .order_by("accepted_at")
            .values_list("id", flat=True)[:want]
        )
    while len(have) < want:
        with schema_context(ref.schema_name):
            conversation, _ = conversation_start(
                council=ref,
                name=f"Visitor {len(have) + 1}",
                message="I would like to ask about my council tax.",
                department=None,
                page_url="https://www.example.gov.uk/council-tax",
            )
            conversation_accept(council=ref, conversation_id=conversation.id, operator=op)
        have.append(conversation.id)
    return [str(c) for c in have]


def queued_chats(ref: CouncilRef, want: int) -> int:
    with schema_context(ref.schema_name):
        have = Conversation.objects.filter(status=Conversation.Status.QUEUED).count()
        for i in range(have, want):
            conversation_start(
                council=ref,
                name=f"Waiting {i + 1}",
                message="Waiting for an operator.",
                department=None,
                page_url="https://www.example.gov.uk/bins",
            )
        return max(have, want)


def visitor_target(ref: CouncilRef, conversation: str) -> dict[str, str]:
    from uuid import UUID

    token = visitor_token_issue(council_id=ref.id, conversation_id=UUID(conversation))
    host = ref.hosts[0]
    return {
        "path": f"/ws/visitor/{conversation}/?token={token}",
        "host": host,
        "origin": f"http://{host}",
        "key": conversation,
    }


def operator_target(ref: CouncilRef, username: str) -> dict[str, str]:
    host = ref.hosts[0]
    return {
        "path": "/ws/operator/",
        "host": host,
        "origin": f"http://{host}",
        "cookie": session_cookie(ref, username),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--idle", type=int, default=5000)
    parser.add_argument("--councils", type=int, default=50)
    parser.add_argument("--only-councils", action="store_true", help="councils, no chats")
    args = parser.parse_args()
    started = time.monotonic()
    out: dict = {}

    tenancy = [council(f"bench-c{i:02d}", f"Bench Council {i:02d}") for i in range(1, 51)]
    tenancy = tenancy[: max(1, args.councils)]
    if args.only_councils:
        clear_site_cache()
        with open(args.out, "w") as handle:
            json.dump({"councils": len(tenancy)}, handle)
        return 0
    # Roles: c01 holds the 1-council B3, c02 the idle chats, c03 the queue; every one of
    # the 50 has a `solo` operator for the 50-council B3.
    idle = tenancy[1]
    idle_op = operator(idle, "idle-op", max_chats=32000)
    log(f"idle chats: {args.idle} (creating what is missing)")
    out["idle"] = [visitor_target(idle, c) for c in active_chats(idle, idle_op, args.idle)]

    first = tenancy[0]
    one: dict = {"pairs": [], "operators": []}
    for n in range(50):
        name = f"op{n + 1:02d}"
        op = operator(first, name, max_chats=2)
        one["operators"].append(operator_target(first, name))
        for conversation in active_chats(first, op, 2):
            one["pairs"].append(
                {"key": conversation, "visitor": visitor_target(first, conversation), "operator": n}
            )
    out["one_council"] = one
    many: dict = {"pairs": [], "operators": []}
    for n, ref in enumerate(tenancy):
        op = operator(ref, "solo", max_chats=2)
        many["operators"].append(operator_target(ref, "solo"))
        for conversation in active_chats(ref, op, 2):
            many["pairs"].append(
                {"key": conversation, "visitor": visitor_target(ref, conversation), "operator": n}
            )
    out["many_councils"] = many

    queue = tenancy[2]
    q: dict = {"operators": [], "host": queue.hosts[0], "origin": f"http://{queue.hosts[0]}"}
    for n in range(20):
        name = f"q{n + 1:02d}"
        op = operator(queue, name, max_chats=3)
        active_chats(queue, op, 3)
        q["operators"].append(operator_target(queue, name))
    q["queued"] = queued_chats(queue, 50)
    out["queue"] = q
    out["councils"] = len(tenancy)
    clear_site_cache()
    with open(args.out, "w") as handle:
        json.dump(out, handle)
    log(f"done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
