"""Canned replies get a language (issue 15); one shortcut may have a reply per language.

The old unique constraint is dropped by what it covers, not by its name: a council cloned
from the base schema (councils.onboarding.schema_clone_unsafe) has it under PostgreSQL's
default name (chat_cannedresponse_shortcut_department_id_key), so RemoveConstraint by name
fails there.
"""

from django.db import migrations, models

DROP_OLD_UNIQUE = """
DO $$
DECLARE name text;
BEGIN
  FOR name IN
    SELECT c.conname FROM pg_constraint c
    WHERE c.conrelid = 'chat_cannedresponse'::regclass AND c.contype = 'u'
      AND c.conname IN ('canned_shortcut_per_department',
                        'chat_cannedresponse_shortcut_department_id_key')
  LOOP
    EXECUTE format('ALTER TABLE chat_cannedresponse DROP CONSTRAINT %I', name);
  END LOOP;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0012_outcome_abandoned_label"),
        ("routing", "0005_operator_display_name_supervise"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(DROP_OLD_UNIQUE, migrations.RunSQL.noop)],
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="cannedresponse",
                    name="canned_shortcut_per_department",
                )
            ],
        ),
        migrations.AddField(
            model_name="cannedresponse",
            name="language",
            field=models.CharField(
                choices=[("en", "English"), ("cy", "Welsh")],
                default="en",
                help_text="The language the reply is written in: chats in that language list "
                "it first.",
                max_length=2,
            ),
        ),
        migrations.AddConstraint(
            model_name="cannedresponse",
            constraint=models.UniqueConstraint(
                fields=("shortcut", "department", "language"),
                name="canned_shortcut_per_department_language",
                nulls_distinct=False,
            ),
        ),
    ]
