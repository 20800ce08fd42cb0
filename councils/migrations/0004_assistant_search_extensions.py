"""pg_trgm and unaccent, created once in the public schema for the assistant's search.

A shared app's migration runs only in `public`, so every council schema (whose search_path
ends in public) sees one copy. Created from a tenant migration, an extension would land in
that council's schema alone (django-tenant-schemas #113; docs/assistant.md).
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("councils", "0003_remove_council_brand_colour_remove_council_logo_url")]

    operations = [TrigramExtension(), UnaccentExtension()]
