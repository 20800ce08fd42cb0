"""Rebuild every council's search index: how text is normalised changed (Welsh mutations and
plural endings folded, Welsh clitics split, more filler words), and a question is only
comparable with phrasings normalised the same way. Data only, no schema change; runs in
each council's schema like every tenant migration."""

from django.db import migrations


def reindex(apps, schema_editor):
    from assistant.index import _TERMS_SQL, _VECTOR_SQL
    from assistant.text import content_text, synonym_groups_for

    Phrasing = apps.get_model("assistant", "Phrasing")
    Synonym = apps.get_model("assistant", "Synonym")
    rows: dict[str, list[str]] = {}
    for synonym in Synonym.objects.all():
        rows.setdefault(synonym.language, []).append(synonym.terms)
    groups = {language: synonym_groups_for(lines, language) for language, lines in rows.items()}
    phrasings = list(Phrasing.objects.select_related("entry"))
    if not phrasings:
        return
    for phrasing in phrasings:
        language = phrasing.entry.language
        phrasing.language = language
        phrasing.expanded = content_text(phrasing.text, language, groups.get(language, []))
    Phrasing.objects.bulk_update(phrasings, ["language", "expanded"], batch_size=500)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_VECTOR_SQL)
        cursor.execute(_TERMS_SQL)


class Migration(migrations.Migration):
    dependencies = [("assistant", "0001_initial")]

    operations = [migrations.RunPython(reindex, migrations.RunPython.noop)]
