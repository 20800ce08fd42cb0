"""The operator console page and the supervisor's live view; everything live happens over
/ws/operator/ and /ws/supervisor/."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chat.actions.profile import display_name_set
from chat.errors import ChatError
from chat.payloads import operator_display_name
from chat.supervision import may_supervise


@staff_member_required(login_url="admin:login")
def console(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "console/index.html",
        {
            "council": request.site_ref.council,
            "operator_ws_path": "/ws/operator/",
            "may_supervise": may_supervise(request.user),
        },
    )


@staff_member_required(login_url="admin:login")
def supervisor(request: HttpRequest) -> HttpResponse:
    """The supervisor's live view (issue 15): council admins and staff with the supervise
    permission; any other operator gets a 403 page that says so."""
    council = request.site_ref.council
    if not may_supervise(request.user):
        return render(request, "console/forbidden.html", {"council": council}, status=403)
    return render(
        request,
        "console/supervisor.html",
        {"council": council, "supervisor_ws_path": "/ws/supervisor/"},
    )


@staff_member_required(login_url="admin:login")
def profile(request: HttpRequest) -> HttpResponse:
    """An operator's own name in chats (issue 15): what residents see of them."""
    error = saved = ""
    value = getattr(getattr(request.user, "presence", None), "display_name", "")
    if request.method == "POST":
        value = request.POST.get("display_name", "")
        try:
            saved = display_name_set(user=request.user, display_name=value)
        except ChatError as err:
            error = err.detail
    context = {
        "council": request.site_ref.council,
        "value": value,
        "error": error,
        "saved": saved,
        "shown_as": saved or operator_display_name(request.user),
    }
    return render(request, "console/profile.html", context, status=400 if error else 200)
