"""axe-core accessibility scans (WCAG 2.2 AA rules) of a Playwright page."""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python

AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def wait_until_still(page, timeout_ms: float = 5000) -> None:
    """Wait (polling, up to `timeout_ms`) until no CSS animation or transition is running.

    `document.getAnimations()` includes those inside shadow roots (the widget's). With
    reduced motion (tests/e2e/conftest.py) there are none; this guards a page or a test
    context that still animates, so a scan never samples a panel mid-fade.
    """
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')",
        timeout=timeout_ms,
        polling=50,
    )


def axe_violations(page) -> list[str]:
    """One line per violated rule: id, impact, and the first offending node."""
    wait_until_still(page)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the pages' Content-Security-Policy
        # (script-src 'self') does not govern; an inline <script> tag it would refuse.
        page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
        for v in result["violations"]
    ]
