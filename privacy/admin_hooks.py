"""What the chat admin calls to audit and to place holds (kept here, so chat/admin.py only
wires them in)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from privacy import audit
from privacy.forms import LegalHoldForm
from privacy.holds import legal_hold_place, legal_hold_release


def _actor(request) -> audit.Actor:
    return audit.Actor.of_user(request.user, source="admin")


def audit_opened(request, object_type: str, object_id) -> None:
    """A staff member opened one record holding personal data (a transcript, an enquiry)."""
    audit.record(
        actor=_actor(request),
        action=audit.Action.TRANSCRIPT_OPENED,
        object_type=object_type,
        object_id=object_id,
    )


def audit_search(request, object_type: str) -> None:
    """A search of chat history by what someone typed (the terms are not recorded: they are
    often the person's name or email)."""
    terms = request.GET.get("q", "").strip()
    if terms:
        audit.record(
            actor=_actor(request),
            action=audit.Action.HISTORY_SEARCHED,
            object_type=object_type,
            detail={"terms_length": len(terms), "looks_like_email": "@" in terms},
        )


@admin.action(description="Place a legal hold on the selected chats", permissions=["hold"])
def place_legal_hold(modeladmin, request, queryset):
    form = LegalHoldForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        placed = legal_hold_place(
            conversation_ids=list(queryset.values_list("id", flat=True)),
            reason=form.cleaned_data["reason"],
            actor=_actor(request),
        )
        modeladmin.message_user(request, f"Legal hold placed on {placed} chat(s).")
        return None
    return TemplateResponse(
        request,
        "privacy/legal_hold_confirm.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Place a legal hold",
            "opts": modeladmin.model._meta,
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.action(description="Release the legal hold on the selected chats", permissions=["hold"])
def release_legal_hold(modeladmin, request, queryset):
    released = legal_hold_release(
        conversation_ids=list(queryset.values_list("id", flat=True)), actor=_actor(request)
    )
    modeladmin.message_user(request, f"Legal hold released on {released} chat(s).")


@admin.action(description="Erase this resident's data…", permissions=["erase"])
def erase_resident(modeladmin, request, queryset):
    """The erasure confirmation page for the selected chat's resident (by email, else name)."""
    from privacy.admin import erase_page
    from privacy.forms import SubjectForm

    if queryset.count() != 1:
        modeladmin.message_user(request, "Select exactly one chat.", level=messages.WARNING)
        return None
    visitor = queryset.select_related("visitor").first().visitor
    if visitor.email:
        data = {"kind": "email", "value": visitor.email}
    else:
        data = {"kind": "name", "value": visitor.name}
    return erase_page(request, modeladmin.admin_site, SubjectForm(data))


def has_hold_permission(request) -> bool:
    return request.user.has_perm("privacy.add_legalhold")


def has_erase_permission(request) -> bool:
    return request.user.has_perm("privacy.erase_subject")
