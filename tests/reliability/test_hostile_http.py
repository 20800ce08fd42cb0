"""Hostile HTTP against every URL the three kinds of host serve (issue 12, rechecked after
attachments, the supervisor view, the console profile, social webhooks, staff sign-in,
reports and privacy actions were added): never a 500, a clear error body (JSON on the
widget's paths), and nothing stored from refused input.

The crawl walks the urlconfs themselves, so a URL added later is crawled without anyone
remembering to list it. The bytes Django's test client cannot send (a negative or huge
Content-Length, a broken request line, a Host with a NUL) go to a real daphne in
test_hostile_wire.py.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections import Counter
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve
from django.urls.resolvers import URLResolver
from django_tenants.utils import schema_context

from attachments.models import Attachment
from chat.actions.profile import display_name_set
from chat.errors import ChatError
from chat.models import Conversation, Enquiry, Message
from outbox.models import OutboxItem
from reports.views import parse_period
from routing.models import Department, OperatorPresence
from tests.admin.factories import admin_client
from tests.factories import chat_in, operator_in

pytestmark = pytest.mark.usefixtures("staffed")

API_PREFIXES = ("/widget/",)  # the webhook's refusals are for Meta: short plain text
NESTED = b"[" * 5000 + b"]" * 5000
# (content type, body): every POST of the crawl gets each of these.
HOSTILE_BODIES = [
    ("application/json", b'{"name": "Jo", "message": ' + NESTED + b"}"),
    ("application/json", b"\xff\xfe\x00 not utf-8"),
    ("application/json", b'{"name": "a\\u0000", "message": "\\ud800", "n": 1e999, "x": 1}'),
    ("application/json", b'{"name": "Jo", "message": "Hi", "rating": 18446744073709551616}'),
    ("application/json", b"[1, 2, 3]"),
    ("application/x-www-form-urlencoded", b"username=a%00b&password=x&next=%00&code=1"),
    ("application/x-www-form-urlencoded", b"display_name=%ff%fe&email=%ED%A0%80"),
    ("multipart/form-data; boundary=xyz", b"--abc\r\nbroken"),
    ("multipart/form-data", b"--abc\r\nno boundary parameter"),
    ("multipart/form-data; boundary=" + "b" * 300, b"--" + b"b" * 300 + b"\r\n"),
    (
        "multipart/form-data; boundary=B",
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n--B--\r\n",
    ),
    ("text/plain", b"\x00\x01\x02"),
    ("", b"x=1"),
]
# Query strings every GET of the crawl gets (the first also goes with every other method).
HOSTILE_QUERIES = [
    "",
    "?q=%00&department=%00&lang=%00&page_url=%00&next=%00&sig=%00&from=%00&to=%00",
    "?from=9999-12-25&to=9999-12-31&csv=summary&p=-1&o=zz&e=1",
    "?from=0001-01-01&to=0001-01-02&page=99999999999999999999&after_seq=-1",
    "?next=//evil.example&next=%2F%2Fevil.example&hub.mode=subscribe&hub.challenge=%ED%A0%80",
    "?" + "a=b&" * 1500,  # beyond DATA_UPLOAD_MAX_NUMBER_FIELDS
    "?q=" + "x" * 20_000,
]
OTHER_METHODS = ["head", "options", "put", "delete", "patch"]
# What a view that never reads the raw body can tell apart: Django parses only url-encoded
# and multipart bodies into request.POST, so every other body reaches it as an empty POST.
# Such views get the form bodies and one of the rest; views whose module reads the raw body
# (`reads_raw_body`) get them all. (The crawl took 196 s of CI with every body everywhere.)
FORM_BODIES = [
    body
    for body in HOSTILE_BODIES
    if body[0].startswith(("application/x-www-form-urlencoded", "multipart/"))
] + [HOSTILE_BODIES[0]]
RAW_BODY_READS = re.compile(r"request\.body|request\.read\(|parse_checked\(")


def reads_raw_body(urlconf: str, path: str) -> bool:
    """Whether the view answering `path` lives in a module that reads request bodies itself."""
    try:
        match = resolve(path.split("?")[0], urlconf)
    except Resolver404:
        return True  # unknown: everything
    module = sys.modules.get(getattr(match.func, "__module__", ""), None)
    try:
        return bool(RAW_BODY_READS.search(inspect.getsource(module))) if module else True
    except (OSError, TypeError):
        return True


def walk(resolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def concrete(pattern: str, conversation: str) -> list[str]:
    """Paths for a URL pattern: its parameters filled with a real id and with hostile ones
    (a path traversal where a file or attachment is named)."""
    text = pattern.replace("^", "").replace("$", "").replace("\\", "")
    if re.search(r"[\[\]*+?|]", re.sub(r"<[^>]+>|\(\?P<\w+>[^)]*\)", "", text)):
        return []
    out = []
    for uuid_value, other in ((conversation, "1"), (conversation, "..%2F..%2Fetc%2Fpasswd")):
        path = re.sub(r"<uuid:\w+>", uuid_value, text)
        path = re.sub(r"<int:\w+>", "1" if other == "1" else "99999999999999999999", path)
        path = re.sub(r"<path:\w+>|<(?:str:)?\w+>|\(\?P<\w+>[^)]*\)", other, path)
        out.append("/" + path)
    return out


def stored_counts(council) -> dict[str, int]:
    with schema_context(council.schema_name):
        return {
            "conversations": Conversation.objects.count(),
            "messages": Message.objects.count(),
            "enquiries": Enquiry.objects.count(),
            "attachments": Attachment.objects.count(),
            "outbox": OutboxItem.objects.count(),
            "departments": Department.objects.count(),
            "groups": Group.objects.count(),
            "users": get_user_model().objects.count(),
        }


def problem(method: str, path: str, response) -> str | None:
    """Why an answer breaks the rules, or None."""
    if response.status_code >= 500:
        return f"{response.status_code}"
    if (
        path.startswith(API_PREFIXES)
        and response.status_code >= 400
        and method != "head"
        and response.content
    ):
        try:
            body = json.loads(response.content)
        except ValueError:
            return f"{response.status_code} not JSON: {response.content[:80]!r}"
        if not (isinstance(body, dict) and body.get("error")):
            return f"{response.status_code} without an error code: {body!r:.80}"
    return None


def test_every_url_of_every_host_answers_hostile_requests_without_a_500_and_stores_nothing(
    councils, capsys
):
    alpha = councils.alpha
    chat = chat_in(alpha)
    operator_in(alpha, "root", is_superuser=True)
    staff = admin_client(alpha, "root")
    staff.raise_request_exception = False
    before = stored_counts(alpha)
    hosts = [
        ("config.urls_council", alpha.hosts[0], True),
        ("config.urls_partnership", councils.partnership_host, False),
        ("config.urls_public", "localhost", False),
    ]
    failures: list[str] = []
    tried: Counter = Counter()
    for urlconf, host, with_staff in hosts:
        paths = sorted(
            {p for pattern in walk(get_resolver(urlconf)) for p in concrete(pattern, str(chat.id))}
        )
        assert len(paths) > (100 if with_staff else 4), paths  # the admin's pages are in it
        raw_body = {path: reads_raw_body(urlconf, path) for path in paths}
        assert any(raw_body.values()) or not with_staff  # the widget's views read theirs
        anonymous = Client(HTTP_HOST=host, raise_request_exception=False)
        clients = [anonymous, staff] if with_staff else [anonymous]
        for path in paths:
            if "logout" in path or "sign-out" in path:
                continue  # would end the staff client's session for the rest of the crawl
            # The admin deletes on any POST to a confirmation page (CSRF guards it in real
            # life; the test client skips CSRF): not hostile input, and it would empty the
            # councils other tests rely on (department 1, the staff groups).
            deleting = path.rstrip("/").endswith("/delete")
            for client in clients:
                auth = {"HTTP_AUTHORIZATION": f"Bearer {chat.token}", "HTTP_ORIGIN": "null"}
                calls = [("get", path + query, None) for query in HOSTILE_QUERIES]
                calls += [(m, path + HOSTILE_QUERIES[1], None) for m in OTHER_METHODS]
                if not deleting:
                    bodies = HOSTILE_BODIES if raw_body[path] else FORM_BODIES
                    calls += [("post", path, body) for body in bodies]
                for method, url, body in calls:
                    if body is None:
                        response = getattr(client, method)(url, **auth)
                    else:
                        response = client.generic(
                            "POST", url, body[1], content_type=body[0], **auth
                        )
                    tried[method] += 1
                    why = problem(method, url, response)
                    if why:
                        failures.append(f"{method.upper()} {host}{url[:90]}: {why}")
    with capsys.disabled():
        print(f"\nhostile HTTP crawl: {dict(tried)} requests, {len(failures)} failures")
    assert not failures, "\n".join(failures[:50])
    assert stored_counts(alpha) == before


# The crawl's findings, each pinned on its own (each answered 500 or an HTML page before).


def test_a_nul_in_the_widget_configs_query_is_refused_with_a_json_400_not_a_500(councils):
    client = Client(HTTP_HOST=councils.alpha.hosts[0])
    for path in ("/widget/config", "/widget/availability"):
        response = client.get(path + "?department=parking%00")
        assert response.status_code == 400, response.content[:300]
        body = response.json()
        assert body["error"] == "invalid_input" and "department" in body["detail"]
        assert "\x00" not in body["detail"]
    assert client.get("/widget/config?department=parking").status_code == 200


def test_a_nul_in_the_operators_display_name_is_refused_and_the_old_name_kept(councils):
    alpha = councils.alpha
    sam = operator_in(alpha, "sam")
    client = Client(HTTP_HOST=alpha.hosts[0])
    with schema_context(alpha.schema_name):
        client.force_login(get_user_model().objects.get(pk=sam.id))
    assert client.post("/console/profile/", {"display_name": "Sam B"}).status_code == 200
    response = client.generic(
        "POST",
        "/console/profile/",
        "display_name=Evil%00Name",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    with schema_context(alpha.schema_name):
        assert OperatorPresence.objects.get(user_id=sam.id).display_name == "Sam B"
        user = get_user_model().objects.get(pk=sam.id)
        for hostile in ("a\x00b", "\ud800"):  # the action refuses them itself, too
            with pytest.raises(ChatError):
                display_name_set(user=user, display_name=hostile)


@pytest.mark.parametrize(
    ("first", "last"), [("9999-12-25", "9999-12-31"), ("0001-01-01", "0001-01-03")]
)
def test_report_dates_at_the_ends_of_the_calendar_fall_back_to_the_last_30_days(
    councils, first, last
):
    period, message = parse_period({"from": first, "to": last}, today=date(2026, 11, 30))
    assert period.last == date(2026, 11, 30) and "2000-01-01" in message
    operator_in(councils.alpha, "root", is_superuser=True)
    staff = admin_client(councils.alpha, "root")
    response = staff.get(f"/admin/report/?from={first}&to={last}")
    assert response.status_code == 200
    assert b"2000-01-01" in response.content


def test_what_django_refuses_before_a_view_answers_the_widget_in_json(councils):
    """Too many query fields, a Host not allowed, the widget's paths on the public host."""
    cases = [
        (councils.alpha.hosts[0], "/widget/config?" + "a=b&" * 1500, 400),
        ("evil.example", "/widget/config", 400),
        ("localhost", "/widget/config", 404),
    ]
    for host, path, status in cases:
        response = Client(HTTP_HOST=host).get(path)
        assert response.status_code == status, (host, response.content[:200])
        assert response.json()["error"] and response.json()["detail"]
    # Staff pages keep Django's own pages.
    response = Client(HTTP_HOST="evil.example").get("/admin/login/")
    assert response.status_code == 400 and b"Bad Request" in response.content


def test_an_audit_export_with_a_filter_the_list_does_not_have_goes_back_to_the_list(councils):
    operator_in(councils.alpha, "root", is_superuser=True)
    staff = admin_client(councils.alpha, "root")
    response = staff.get("/admin/privacy/auditentry/export.csv?from=2026-01-01")
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_view_on_site_with_an_id_that_is_not_a_uuid_is_a_404(councils):
    from django.contrib.contenttypes.models import ContentType

    operator_in(councils.alpha, "root", is_superuser=True)
    staff = admin_client(councils.alpha, "root")
    with schema_context(councils.alpha.schema_name):
        conversation_type = ContentType.objects.get_for_model(Conversation).id
    assert staff.get(f"/admin/r/{conversation_type}/1/").status_code == 404


@pytest.mark.parametrize("body", [b"[1, 2]", b"7", b"[" * 5000 + b"]" * 5000])
def test_the_demos_message_simulator_refuses_a_body_that_is_not_an_object(councils, body):
    response = Client(HTTP_HOST=councils.alpha.hosts[0]).generic(
        "POST", "/demo/social/send", body, content_type="application/json"
    )
    assert response.status_code == 400
