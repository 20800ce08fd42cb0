"""Sign-in, sign-out and disabled accounts → staff sessions and open consoles."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from staffauth.models import StaffSession
from staffauth.sessions import (
    account_disabled,
    close_consoles_on_commit,
    consoles_leave_assignment,
    session_started,
)


@receiver(user_logged_in, dispatch_uid="staffauth-logged-in")
def on_logged_in(sender, request, user, **kwargs) -> None:
    if request is None or getattr(request, "session", None) is None:
        return
    if request.session.session_key is None:
        request.session.save()
    via = getattr(request, "_staffauth_via", StaffSession.Via.OTHER)
    session_started(session_key=request.session.session_key, user_id=user.pk, via=via)


@receiver(user_logged_out, dispatch_uid="staffauth-logged-out")
def on_logged_out(sender, request, user, **kwargs) -> None:
    """Django flushes the session just after this; its consoles close now."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    if user is None or key is None:
        return
    StaffSession.objects.filter(session_key=key).delete()
    consoles_leave_assignment(user_id=user.pk, session_key=key)  # at once (issue 15)
    close_consoles_on_commit(user_id=user.pk, session_key=key, reason="signed_out")


@receiver(post_save, sender=get_user_model(), dispatch_uid="staffauth-user-saved")
def on_user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    if created or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    account_disabled(user_id=instance.pk)
