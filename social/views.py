"""Council-host views: residents' attachments, for that council's staff only."""

from __future__ import annotations

from uuid import UUID

from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

from social.media import ALLOWED_TYPES
from social.models import SocialMedia


@staff_member_required(login_url="admin:login")
def media_download(request: HttpRequest, media_id: UUID) -> HttpResponse:
    """Always a download (Content-Disposition: attachment) with the stored, allow-listed
    type and a sandboxing CSP: a resident's file never renders as a page of our origin.

    The council's host picked the schema and the login is that schema's, so another
    council's staff cannot reach this council's files (their session is worthless here).
    """
    media = SocialMedia.objects.filter(pk=media_id, fetched_at__isnull=False).first()
    if media is None or not media.file or media.content_type not in ALLOWED_TYPES:
        raise Http404("No such attachment.")
    name = f"{media.kind}-{str(media.id)[:8]}{ALLOWED_TYPES[media.content_type]}"
    response = FileResponse(
        media.file.open("rb"), as_attachment=True, filename=name, content_type=media.content_type
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
