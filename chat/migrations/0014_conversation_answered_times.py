"""The resident's first answer and first reply, kept for reports when a transfer or a
requeue moves `accepted_at`, `first_response_at` and `queued_at` (docs/reports.md).

Existing chats are filled from what they have: their last acceptance stands for the first
(exact for every chat never transferred)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0013_canned_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="answered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="conversation",
            name="answered_queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="conversation",
            name="first_reply_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(
            "UPDATE chat_conversation SET answered_at = accepted_at,"
            " answered_queued_at = CASE WHEN accepted_at IS NULL THEN NULL ELSE queued_at END,"
            " first_reply_at = first_response_at"
            " WHERE accepted_at IS NOT NULL OR first_response_at IS NOT NULL",
            migrations.RunSQL.noop,
        ),
    ]
