"""WCAG 2.2 contrast ratio between two sRGB colours (success criterion 1.4.3)."""

from __future__ import annotations

# AA for normal-size text.
MIN_CONTRAST = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """Luminance of a "#rrggbb" colour; ValueError for anything else."""
    text = colour.strip()
    if len(text) != 7 or not text.startswith("#"):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    r, g, b = (int(text[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
