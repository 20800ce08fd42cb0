from django.urls import path, re_path

from attachments import views as attachment_views
from widgets import views

urlpatterns = [
    path("config", views.widget_config, name="widget-config"),
    path("availability", views.widget_availability, name="widget-availability"),
    path("conversations", views.conversation_create, name="widget-conversations"),
    path(
        "conversations/<uuid:conversation>/rating",
        views.conversation_rating,
        name="widget-rating",
    ),
    path(
        "conversations/<uuid:conversation>/transcript",
        views.conversation_transcript,
        name="widget-transcript",
    ),
    path(
        "conversations/<uuid:conversation>/end",
        views.conversation_end_view,
        name="widget-end",
    ),
    # Photos and PDFs (issue 15, docs/attachments.md).
    path(
        "conversations/<uuid:conversation>/attachments",
        attachment_views.widget_upload,
        name="widget-attachments",
    ),
    path(
        "attachments/<uuid:attachment_id>",
        attachment_views.widget_download,
        name="widget-attachment",
    ),
    path("enquiries", views.enquiry_create_view, name="widget-enquiries"),
    path("embed.js", views.embed_js, name="widget-embed"),
    # Anything else under /widget/ is a JSON 404, never a page's HTML (the demo's catch-all,
    # or its CSRF refusal of a POST).
    re_path(r"^.*$", views.widget_not_found),
]
