"""System messages get a code and params (chat/system_messages.py), so they can be shown in
the chat's language; `body` keeps the English text.

Rows written before this migration have only their English text. Each is matched against the
English lines the code used to write, and given that line's code and params (the operator's,
visitor's, department's or council's name taken from the text; a department's Welsh name from
its row when one of that name exists). A system row that matches none (a Facebook Page's own
message, stored as the council's) keeps an empty code and is shown as its text, as before.
"""

import re

from django.db import migrations, models

# The English texts chat/actions wrote before codes existed, newest wording only.
_EXACT = {
    "Sorry for the wait: you're back at the front of the queue for the next adviser.": (
        "back_in_queue"
    ),
    "Sorry, no one could answer in time. The council will follow up.": "missed",
    "The chat was closed after a long time with no messages.": "idle_ended",
}
_JOINED = re.compile(r"^(?P<operator>.+) joined the chat\.$", re.S)
_TALKING = re.compile(r"^You are now talking to (?P<operator>.+)\.$", re.S)
_PASSED = re.compile(
    r"^(?P<operator>.+?) passed your chat to (?P<target>.+)\. You're at the front of their queue\.$",
    re.S,
)
_ENDED = re.compile(r"^(?P<name>.+) ended the chat\.$", re.S)


def legacy_code(text, *, ended_by, departments):
    """(code, params) for an old system message's English text, or None.

    `departments`: {English name: Welsh name} of the council's departments; `ended_by` is
    the message's conversation's (a chat its operator ended says so; the visitor, by the
    widget or the quick exit, otherwise).
    """
    if text in _EXACT:
        return _EXACT[text], {}
    if match := _PASSED.match(text):
        target = match["target"]
        if target in departments:
            params = {"operator": match["operator"], "department": target}
            if departments[target]:
                params["department_cy"] = departments[target]
            return "passed_to_department", params
        return "passed_to_council", {"operator": match["operator"], "council": target}
    if match := _TALKING.match(text):
        return "talking_to", {"operator": match["operator"]}
    if match := _JOINED.match(text):
        return "joined", {"operator": match["operator"]}
    if match := _ENDED.match(text):
        name = match["name"]
        if ended_by == "operator":
            return "ended_by_operator", {"operator": name}
        return "ended_by_visitor", {"visitor": name}
    return None


def codes_for_old_rows(apps, schema_editor):
    Message = apps.get_model("chat", "Message")
    Department = apps.get_model("routing", "Department")
    departments = dict(Department.objects.values_list("name", "name_cy"))
    rows = (
        Message.objects.filter(author="system", code="")
        .exclude(extra__has_key="echo")
        .select_related("conversation")
        .order_by("pk")
    )
    changed = []
    for message in rows.iterator(chunk_size=2000):
        found = legacy_code(
            message.body,
            ended_by=message.conversation.ended_by,
            departments=departments,
        )
        if found is None:
            continue
        message.code, message.params = found
        changed.append(message)
        if len(changed) >= 2000:
            Message.objects.bulk_update(changed, ["code", "params"])
            changed = []
    if changed:
        Message.objects.bulk_update(changed, ["code", "params"])


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0007_message_bot_index_reports"),
        ("routing", "0003_department_email_department_name_cy_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="code",
            field=models.CharField(blank=True, db_default="", default="", max_length=40),
        ),
        migrations.AddField(
            model_name="message",
            name="params",
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
        migrations.RunPython(codes_for_old_rows, migrations.RunPython.noop, elidable=True),
    ]
