"""The console's attachment URLs, on a council's host (included under /console/)."""

from django.urls import path

from attachments import views

urlpatterns = [
    path(
        "conversations/<uuid:conversation>/attachments",
        views.console_upload,
        name="console-attachments",
    ),
    path("attachments/<uuid:attachment_id>", views.console_download, name="console-attachment"),
]
