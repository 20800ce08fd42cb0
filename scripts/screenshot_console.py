#!/usr/bin/env python
"""Take the README's console screenshot from a running demo (make demo), in headless Chromium.

    .venv/bin/python scripts/screenshot_console.py [--port 8000] [--out docs/img/console.png]

Logs in as alex with DEMO_PASSWORD (or .local/demo_password), starts three resident chats on
dorset.localhost through the real widget (assigned to alex automatically) and a fourth that
waits in the queue, and replies to each of alex's.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESIDENTS = [
    ("Priya Shah", "/parking/pay-a-parking-fine", "Can I pay my PCN in two instalments?"),
    ("Tom Hughes", "/highways/highway-area-offices", "There's a deep pothole on the B3081."),
    ("Margaret Cole", "/parking/view-or-challenge-a-pcn", "I was loading, not parked. Appeal?"),
]
REPLIES = [
    "Yes, I can set up a payment plan for you. What is the PCN number?",
    "Thanks Tom, could you tell me the nearest house number or landmark?",
    "You can challenge it online; loading is allowed for up to 20 minutes.",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    parser.add_argument("--out", default=str(ROOT / "docs" / "img" / "console.png"))
    args = parser.parse_args()
    password = (
        os.environ.get("DEMO_PASSWORD") or (ROOT / ".local" / "demo_password").read_text().strip()
    )
    base = f"http://dorset.localhost:{args.port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        console = browser.new_context(viewport={"width": 1440, "height": 860}).new_page()
        console.goto(f"{base}/console/")
        console.fill("#id_username", "alex")
        console.fill("#id_password", password)
        console.click("input[type=submit]")
        expect(console.locator("#connection")).to_have_attribute("data-state", "live")
        for name, path, question in RESIDENTS:
            page = browser.new_context().new_page()
            page.goto(base + path)
            page.click("[data-testid=cc-launcher]")
            page.fill("[data-testid=cc-name]", name)
            page.fill("[data-testid=cc-question]", question)
            page.click("[data-testid=cc-start]")
            expect(page.locator("[data-testid=cc-log]")).to_contain_text(question)
        for (name, _path, _q), reply in zip(RESIDENTS, REPLIES, strict=True):
            # Least-busy assignment gives alex the first three chats; take any by hand.
            panel = console.locator("[data-testid=chat-panel]").filter(has_text=name)
            item = console.locator("[data-testid=queue-item]").filter(has_text=name)
            if item.count():
                item.locator("[data-testid=accept]").click()
            expect(panel).to_be_visible()
            panel.locator("[data-testid=reply]").fill(reply)
            panel.locator("[data-testid=send]").click()
            expect(panel.locator("[data-testid=chat-log]")).to_contain_text(reply)
        extra = browser.new_context().new_page()
        extra.goto(base + "/")
        extra.click("[data-testid=cc-launcher]")
        extra.fill("[data-testid=cc-name]", "Dev Patel")
        extra.fill("[data-testid=cc-question]", "When is my green bin collected?")
        extra.click("[data-testid=cc-start]")
        expect(
            console.locator("[data-testid=queue-item]").filter(has_text="Dev Patel")
        ).to_be_visible()
        console.screenshot(path=args.out)
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
