"""The name an attachment is shown and downloaded under: the sender's, made safe."""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r'[\\/:*?"<>|;`$%{}\[\]]+')
_SPACES = re.compile(r"\s+")
MAX_STEM = 100


def safe_name(raw: str | None, extension: str, *, fallback: str) -> str:
    """`raw` without any folder, control or markup characters, at most 100 characters
    before the extension, which is always the one of what the file really is (a photo
    named invoice.pdf is shown as invoice.jpg)."""
    text = unicodedata.normalize("NFC", str(raw or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = _SPACES.sub(" ", _UNSAFE.sub("_", text)).strip(" ._-")
    stem, dot, ext = text.rpartition(".")
    if dot and 1 <= len(ext) <= 5:
        text = stem.rstrip(" ._-")
    return (text[:MAX_STEM].rstrip(" ._-") or fallback) + extension
