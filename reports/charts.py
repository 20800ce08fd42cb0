"""Charts drawn on the server as accessible SVG: no JavaScript, a title and description for
screen readers (role="img"), and the page shows the same numbers in a table beside each."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

_ids = itertools.count(1)

BAR_COLOUR = "#1d4f91"  # the default brand colour; 8.6:1 on white
TEXT_COLOUR = "#1b1b1b"


def bar_chart(
    *, title: str, description: str, rows: Sequence[tuple[str, float | None, str]]
) -> SafeString:
    """Horizontal bars: one per (label, value, value as shown). Empty values draw no bar."""
    uid = f"chart{next(_ids)}"
    label_width, bar_width, value_width, row_height = 170, 300, 90, 22
    width = label_width + bar_width + value_width
    height = max(1, len(rows)) * row_height + 8
    top = max((value or 0) for _, value, _ in rows) if rows else 0
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" role="img" class="report-chart" '
            'aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" width="{1}" '
            'height="{2}" font-family="system-ui, sans-serif" font-size="12">'
            '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>',
            uid,
            width,
            height,
            title,
            description,
        )
    ]
    for index, (label, value, shown) in enumerate(rows):
        y = 4 + index * row_height
        length = 0 if not top or not value else max(1, round(bar_width * value / top))
        parts.append(
            format_html(
                '<text x="{0}" y="{1}" text-anchor="end" fill="{2}">{3}</text>'
                '<rect x="{4}" y="{5}" width="{6}" height="{7}" fill="{8}"></rect>'
                '<text x="{9}" y="{1}" fill="{2}">{10}</text>',
                label_width - 6,
                y + 15,
                TEXT_COLOUR,
                label[:28],
                label_width,
                y + 3,
                length,
                row_height - 6,
                BAR_COLOUR,
                label_width + length + 4,
                shown,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part escaped above


__all__ = ["bar_chart", "escape"]
