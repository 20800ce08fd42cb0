"""The audit log is append-only, enforced by PostgreSQL in each council's schema.

A trigger refuses every UPDATE and every DELETE of privacy_auditentry, except a DELETE in a
transaction that has set `councilchat.audit_retention = 'on'` (SET LOCAL), which only the
retention service does (privacy.audit.delete_expired_entries). TRUNCATE fires no row
trigger, so test clean-up still works; a database owner can of course drop the trigger, and
that is what database-level access control and PostgreSQL's own logs are for.

Also gives the council's "Council admins" group the privacy permissions (new councils get
them from councils/onboarding.py's ADMIN_APPS).
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION privacy_audit_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('councilchat.audit_retention', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER privacy_auditentry_append_only
    BEFORE UPDATE OR DELETE ON privacy_auditentry
    FOR EACH ROW EXECUTE FUNCTION privacy_audit_guard();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS privacy_auditentry_append_only ON privacy_auditentry;
DROP FUNCTION IF EXISTS privacy_audit_guard();
"""


def give_council_admins_privacy(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after migrating (post_migrate): make privacy's now.
    config = apps.get_app_config("privacy")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admins = Group.objects.filter(name="Council admins").first()
    if admins is not None:
        admins.permissions.add(*Permission.objects.filter(content_type__app_label="privacy"))


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunSQL(GUARD, UNGUARD),
        migrations.RunPython(give_council_admins_privacy, migrations.RunPython.noop),
    ]
