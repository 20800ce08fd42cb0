"""Where the browser tests' screenshots go.

A test run writes them under `artifacts/screenshots/<folder>/` (git-ignored), never into
the tracked `docs/img/`: an ordinary `make test` must leave the working tree clean. The
docs' copies change only on purpose: `make screenshots` runs the tests that take them with
`DOCS_SCREENSHOTS=1`, which also writes each one to `docs/img/<folder>/<name>.png`.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
DOCS_IMAGES = ROOT / "docs" / "img"


def docs_screenshots_wanted() -> bool:
    """True when this run should refresh the docs' images (`make screenshots`)."""
    return os.environ.get("DOCS_SCREENSHOTS", "") not in ("", "0")


def save_screenshot(
    page, folder: str, name: str, *, full_page: bool = False, for_docs: bool = True
) -> Path:
    """Screenshot `page` to artifacts/screenshots/<folder>/<name>.png; returns that path.

    With DOCS_SCREENSHOTS=1 and `for_docs`, also to docs/img/<folder>/<name>.png, always of
    the viewport (what a reader of the guide sees), whatever `full_page` says.
    """
    target = ARTIFACTS / folder / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=full_page)
    if for_docs and docs_screenshots_wanted():
        docs = DOCS_IMAGES / folder / f"{name}.png"
        docs.parent.mkdir(parents=True, exist_ok=True)
        if full_page:
            page.screenshot(path=str(docs))
        else:
            docs.write_bytes(target.read_bytes())
    return target
