"""Web addresses in staff and assistant messages, as safe links (HTML transcripts).

The same rules as the widget's and the console's `linkify` (embed.js, console.js): only
`http://` and `https://` addresses with a host become links; `javascript:`, `data:` and every
other scheme stay text. Trailing punctuation (".", ",", ")" without its "(") is not part of
the address. Everything else in the message is escaped: a message is never HTML.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.utils.html import escape

# Stops at whitespace and at characters that cannot be in an address as people write it.
_URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?"
_PAIRS = {")": "(", "]": "[", "}": "{"}


def _trim(url: str) -> str:
    """Drop trailing punctuation, and closing brackets that were not opened in the address."""
    while url:
        last = url[-1]
        unopened = last in _PAIRS and url.count(last) > url.count(_PAIRS[last])
        if last in _TRAILING or unopened:
            url = url[:-1]
        else:
            break
    return url


def safe_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def split_links(text: str) -> list[tuple[str, bool]]:
    """`text` as pieces, each (piece, is_link), in order; joined they are `text`."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for match in _URL.finditer(text):
        url = _trim(match.group())
        if not safe_url(url):
            continue
        start = match.start()
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((url, True))
        at = start + len(url)
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def linkify_html(text: str) -> str:
    """`text` escaped, its safe addresses as links (`target="_blank"`,
    `rel="noopener noreferrer"`) whose text is the full address, so a reader sees where each
    goes (an email client may ignore anything meant only for screen readers). Line breaks
    become <br>."""
    out = []
    for piece, is_link in split_links(text):
        if is_link:
            out.append(
                f'<a href="{escape(piece)}" target="_blank" rel="noopener noreferrer">'
                f"{escape(piece)}</a>"
            )
        else:
            out.append(escape(piece))
    return "".join(out).replace("\n", "<br>")
