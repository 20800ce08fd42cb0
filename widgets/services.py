"""Starting a chat from the widget: choose the council and department, check the chat can
queue, start it, offer it to an operator, and keep the routing record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chat.errors import ChatError
from chat.services import conversation_start
from chat.tokens import visitor_token_issue
from councils.partnership_routing import RouteRequest, partnership_rules, route_chat
from councils.services import record_routing_decision
from councils.sites import CouncilRef, Site
from councils.tenancy import council_schema
from routing.assignment import dispatch_queue
from routing.availability import queue_refusal
from routing.selectors import department_for_chat


class WidgetChatRefused(Exception):
    """The chat was not started; `body` is the JSON answer and `status` its HTTP status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body

    @classmethod
    def field(cls, name: str, text: str) -> WidgetChatRefused:
        return cls(400, {"errors": {name: [text]}})


@dataclass(frozen=True)
class WidgetChat:
    conversation_id: str
    council: CouncilRef
    department_slug: str | None
    status: str
    last_seq: int
    routed_by: dict[str, Any]
    token: str


def widget_chat_start(*, site: Site, form: dict[str, Any], prechat: dict[str, Any]) -> WidgetChat:
    """`form` is the validated pre-chat form. Raises WidgetChatRefused; nothing is stored then."""
    postcode = form["postcode"]
    if site.council is not None:
        council = site.council
        routed_by = {"rule": None, "kind": "council_host", "label": f"Started on {site.host}"}
        department_slug, strict_department = form["department"], True
    else:
        decision = route_chat(
            site.partnership,
            partnership_rules(site.partnership.id),
            RouteRequest(
                picked_council=form["council"],
                page_url=form["page_url"],
                service=form["department"],
                postcode=postcode,
            ),
        )
        if decision is None:
            raise WidgetChatRefused.field("council", "Choose the council your question is for.")
        council, routed_by = decision.council, decision.routed_by()
        # On a partnership site "department" names a service: it is a council department
        # only where that council has one of that name.
        department_slug, strict_department = decision.department_slug, False
    if postcode is not None:
        prechat = {**prechat, "postcode": str(postcode)}

    with council_schema(council.schema_name):
        department, department_error = department_for_chat(
            slug=department_slug, page_url=form["page_url"], strict=strict_department
        )
        if department_error:
            raise WidgetChatRefused.field("department", department_error)
        refusal = queue_refusal(department)
        if refusal is not None:
            raise WidgetChatRefused(
                409, {"error": "offline", "reason": refusal.reason, "detail": refusal.detail}
            )
        try:
            conversation, summary = conversation_start(
                council=council,
                name=form["name"].strip(),
                message=form["message"],
                department=department,
                page_url=form["page_url"],
                prechat=prechat,
                language=form["language"] or "en",
                routed_by=routed_by,
            )
        except ChatError as err:
            raise WidgetChatRefused.field("message", err.detail) from err
        dispatch_queue(council=council)
        conversation.refresh_from_db(fields=["status"])
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
        status=conversation.status,
        last_seq=summary["last_seq"],
        routed_by=routed_by,
        token=visitor_token_issue(council_id=council.id, conversation_id=conversation.id),
    )
