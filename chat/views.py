"""The operator console page; everything live happens over /ws/operator/."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@staff_member_required(login_url="admin:login")
def console(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "console/index.html",
        {"council": request.site_ref.council, "operator_ws_path": "/ws/operator/"},
    )
