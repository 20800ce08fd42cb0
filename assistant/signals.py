"""Admin edits of knowledge or synonyms rebuild the council's search index after commit."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from assistant.models import AssistantSettings, KnowledgeEntry, Phrasing, Synonym


def _reindex_on_commit(**_kwargs) -> None:
    """Once per transaction and schema: an admin save of an entry and its phrasings is one
    rebuild. (Imports rebuild inside their own transaction as well.)"""
    schema = connection.schema_name
    for _sids, func, *_rest in getattr(connection, "run_on_commit", []):
        if getattr(func, "assistant_reindex", None) == schema:
            return

    def _run() -> None:
        from assistant.index import reindex_unsafe
        from councils.tenancy import council_schema

        with council_schema(schema), transaction.atomic():
            reindex_unsafe()

    _run.assistant_reindex = schema  # type: ignore[attr-defined]
    transaction.on_commit(_run)


def _forget_settings(**_kwargs) -> None:
    from assistant.index import forget_vocabularies

    forget_vocabularies()


post_save.connect(_forget_settings, sender=AssistantSettings, dispatch_uid="assistant-settings")

for _model in (KnowledgeEntry, Phrasing, Synonym):
    post_save.connect(
        _reindex_on_commit, sender=_model, dispatch_uid=f"assistant-save-{_model.__name__}"
    )
    post_delete.connect(
        _reindex_on_commit, sender=_model, dispatch_uid=f"assistant-delete-{_model.__name__}"
    )
