"""Starting a chat from the widget: choose the council and department, check the chat can
queue, start it, offer it to an operator, and keep the routing record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction

from assistant.selectors import assistant_takes_chat
from chat.actions.assignment import dispatch_queue
from chat.actions.feedback import conversation_rate as conversation_rate_unsafe
from chat.actions.feedback import transcript_request as transcript_request_unsafe
from chat.actions.followups import enquiry_store_unsafe
from chat.actions.lifecycle import conversation_end, conversation_start
from chat.errors import ChatError
from chat.models import Conversation, Enquiry
from chat.tokens import TokenInvalid, visitor_token_issue, visitor_token_read
from councils.partnership_routing import RouteRequest, partnership_rules, route_chat
from councils.services import record_routing_decision
from councils.sites import CouncilRef, Site
from councils.tenancy import council_schema
from routing.availability import queue_refusal
from routing.selectors import department_for_chat
from widgets.forms import check_configured_fields
from widgets.models import PrechatField, WidgetSettings
from widgets.selectors import next_open_text


class WidgetChatRefused(Exception):
    """The chat was not started; `body` is the JSON answer and `status` its HTTP status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body

    @classmethod
    def field(cls, name: str, text: str) -> WidgetChatRefused:
        return cls(400, {"errors": {name: [text]}})

    @classmethod
    def error(cls, status: int, code: str, detail: str) -> WidgetChatRefused:
        return cls(status, {"error": code, "detail": detail})


@dataclass(frozen=True)
class WidgetChat:
    conversation_id: str
    council: CouncilRef
    department_slug: str | None
    status: str
    last_seq: int
    routed_by: dict[str, Any]
    token: str
    offline: dict[str, Any] | None = None  # the assistant's chat, a person asked for, none there


@dataclass(frozen=True)
class Destination:
    """Where a widget request goes: the council, why, and the department asked for."""

    council: CouncilRef
    routed_by: dict[str, Any]
    department_slug: str
    # On a council host an unknown department is an error; on a partnership site "department"
    # names a service, a council department only where that council has one of that name.
    strict_department: bool


def destination_for(*, site: Site, form: dict[str, Any]) -> Destination:
    """The council a chat or enquiry goes to; on a partnership host, by the routing rules."""
    if site.council is not None:
        routed_by = {"rule": None, "kind": "council_host", "label": f"Started on {site.host}"}
        return Destination(site.council, routed_by, form["department"], True)
    decision = route_chat(
        site.partnership,
        partnership_rules(site.partnership.id),
        RouteRequest(
            picked_council=form["council"],
            page_url=form["page_url"],
            service=form["department"],
            postcode=form["postcode"],
        ),
    )
    if decision is None:
        raise WidgetChatRefused.field("council", "Choose the council your question is for.")
    return Destination(decision.council, decision.routed_by(), decision.department_slug, False)


def widget_chat_start(*, site: Site, form: dict[str, Any], prechat: dict[str, Any]) -> WidgetChat:
    """`form` is the validated pre-chat form. Raises WidgetChatRefused; nothing is stored then."""
    destination = destination_for(site=site, form=form)
    council, routed_by = destination.council, destination.routed_by
    department_slug, strict_department = destination.department_slug, destination.strict_department
    postcode = form["postcode"]
    if postcode is not None:
        prechat = {**prechat, "postcode": str(postcode)}

    with council_schema(council.schema_name):
        # The council's own pre-chat questions. A partnership's shared form cannot know them
        # before routing: the answer names the council, and the widget then asks them.
        field_errors = check_configured_fields(prechat, list(PrechatField.objects.all()))
        if field_errors:
            raise WidgetChatRefused(400, {"errors": field_errors, "council": council.slug})
        department, department_error = department_for_chat(
            slug=department_slug, page_url=form["page_url"], strict=strict_department
        )
        if department_error:
            raise WidgetChatRefused.field("department", department_error)
        refusal = queue_refusal(department)
        with_assistant = assistant_takes_chat(department, refusal)  # issue 14
        if refusal is not None and not with_assistant:
            raise WidgetChatRefused(409, _offline_body(refusal, form["language"] or "en"))
        start = dict(
            council=council,
            name=form["name"].strip(),
            message=form["message"],
            department=department,
            page_url=form["page_url"],
            prechat=prechat,
            language=form["language"] or "en",
            routed_by=routed_by,
        )
        offline = None
        try:
            if with_assistant:  # the question is seq 1 and the assistant's answer seq 2
                from assistant.services import bot_chat_start

                conversation, outcome = bot_chat_start(**start)
                status, last_seq = outcome.status, conversation.last_seq
                offline = outcome.offline.frame if outcome.offline else None
            else:
                conversation, summary = conversation_start(**start)
        except ChatError as err:
            raise WidgetChatRefused.field("message", err.detail) from err
        if not with_assistant:
            dispatch_queue(council=council)
            conversation.refresh_from_db(fields=["status"])
            status, last_seq = conversation.status, summary["last_seq"]
    if site.partnership is not None:
        record_routing_decision(
            partnership_id=site.partnership.id,
            council_id=council.id,
            conversation_id=conversation.id,
            routed_by=routed_by,
            service_slug=form["department"],
            postcode=postcode,
            page_url=form["page_url"],
        )
    return WidgetChat(
        conversation_id=str(conversation.id),
        council=council,
        department_slug=department.slug if department else None,
        status=status,
        last_seq=last_seq,
        routed_by=routed_by,
        token=visitor_token_issue(council_id=council.id, conversation_id=conversation.id),
        offline=offline,
    )


def _offline_body(refusal, language: str) -> dict[str, Any]:
    return {
        "error": "offline",
        "reason": refusal.reason,
        "detail": refusal.detail,
        "next_open": refusal.next_open.isoformat() if refusal.next_open else None,
        "next_open_text": next_open_text(refusal.next_open, language),
    }


# ---- after the chat: the visitor's token authorises these ----------------------------------


def visitor_council(*, site: Site, token: str, conversation_id: UUID) -> CouncilRef:
    """The council of the chat the token grants, checked against the URL and the host."""
    if not token:
        raise WidgetChatRefused.error(401, "token_missing", "Send the chat's visitor token.")
    try:
        grant = visitor_token_read(token)
    except TokenInvalid as exc:
        raise WidgetChatRefused.error(401, exc.code, str(exc)) from exc
    if grant.conversation_id != conversation_id:
        raise WidgetChatRefused.error(403, "forbidden", "This token is for another chat.")
    council = site.council_for_token(grant.council_id)
    if council is None:
        raise WidgetChatRefused.error(403, "forbidden", "This token is for another council.")
    with council_schema(council.schema_name):
        if not Conversation.objects.filter(id=conversation_id).exists():
            raise WidgetChatRefused.error(404, "not_found", "This chat no longer exists.")
    return council


# What the council's widget settings switch off is refused here too, not only hidden in the
# widget: a script can POST without the widget.
END_OF_CHAT_REFUSALS = {
    "rating": ("rating_enabled", "rating_disabled", "This council does not ask for ratings."),
    "transcript": (
        "transcript_enabled",
        "transcript_disabled",
        "This council does not send transcripts by email.",
    ),
}


def end_of_chat_offered_check(*, council: CouncilRef, what: str) -> None:
    """Raise WidgetChatRefused (403) unless the council offers `what` ("rating" or
    "transcript") at the end of a chat (WidgetSettings.rating_enabled, transcript_enabled)."""
    flag, code, detail = END_OF_CHAT_REFUSALS[what]
    with council_schema(council.schema_name):
        if not getattr(WidgetSettings.current(), flag):
            raise WidgetChatRefused.error(403, code, detail)


def conversation_rate(
    *, council: CouncilRef, conversation_id: UUID, rating: int, comment: str
) -> None:
    """Store the visitor's verdict (a later one replaces an earlier one), if the council asks
    for ratings (WidgetChatRefused otherwise)."""
    end_of_chat_offered_check(council=council, what="rating")
    with council_schema(council.schema_name):
        conversation_rate_unsafe(conversation_id=conversation_id, rating=rating, comment=comment)


def transcript_request(*, council: CouncilRef, conversation_id: UUID, email: str) -> None:
    """Remember where to send the transcript and email it after commit, from the council's
    schema (tenant-schemas-celery runs the task there); WidgetChatRefused if the council
    sends no transcripts."""
    end_of_chat_offered_check(council=council, what="transcript")
    with council_schema(council.schema_name):
        transcript_request_unsafe(conversation_id=conversation_id, email=email)


def conversation_end_by_visitor(
    *, council: CouncilRef, conversation_id: UUID, quick_exit: bool = False
) -> None:
    """The visitor ended the chat (End chat, or the quick exit, which counts as the system)."""
    with council_schema(council.schema_name):
        conversation_end(council=council, conversation_id=conversation_id, quick_exit=quick_exit)


def enquiry_create(*, site: Site, form: dict[str, Any], prechat: dict[str, Any]) -> Enquiry:
    """Store contact details left while chat was unavailable and email the department.

    On a partnership host the council comes from the visitor's pick or the routing rules,
    as for a chat; with neither, 400 asks for the council.
    """
    destination = destination_for(site=site, form=form)
    council = destination.council
    department_slug, strict = destination.department_slug, destination.strict_department
    if form["postcode"] is not None:
        prechat = {**prechat, "postcode": str(form["postcode"])}
    with council_schema(council.schema_name), transaction.atomic():
        department, department_error = department_for_chat(
            slug=department_slug, page_url=form["page_url"], strict=strict
        )
        if department_error:
            raise WidgetChatRefused.field("department", department_error)
        enquiry = enquiry_store_unsafe(
            council,
            name=form["name"].strip(),
            email=form["email"],
            phone=form["phone"],
            message=form["message"],
            department=department,
            page_url=form["page_url"],
            language=form["language"] or "en",
            prechat=prechat,
            reason=form["reason"] or Enquiry.Reason.CLOSED,
        )
    return enquiry
