"""Photos and PDFs in a chat, in real Chromium against a real daphne (issue 15, point 5): a
resident sends a phone photo from the widget, the operator sees it without its location,
another council's operator cannot fetch it, the operator sends a PDF the resident opens, and
a bad file is refused with a message the resident hears. axe-core scans every state."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.attachments import files
from tests.e2e.axe import axe_violations
from tests.e2e.screenshots import save_screenshot
from tests.e2e.test_console_flows import console_for
from tests.e2e.test_widget_flows import PARKING_PAGE, start_chat, visitor

pytestmark = [pytest.mark.usefixtures("staffed"), pytest.mark.browser]


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes


FETCH = """async url => {
  const r = await fetch(url, {credentials: 'include'});
  const bytes = new Uint8Array(await r.arrayBuffer());
  let text = ''; for (const b of bytes) text += String.fromCharCode(b);
  return {status: r.status, headers: Object.fromEntries(r.headers.entries()), body: btoa(text)};
}"""


def fetch(page, url: str) -> Fetched:
    """GET `url` from inside `page`: its cookies, and Chromium's own resolving of *.localhost."""
    got = page.evaluate(FETCH, url)
    return Fetched(got["status"], got["headers"], base64.b64decode(got["body"]))


def choose_file(page, button: str, name: str, mime: str, data: bytes) -> None:
    """Press the (keyboard-reachable) button and pick a file in the chooser it opens."""
    with page.expect_file_chooser() as chooser:
        page.locator(button).press("Enter")
    chooser.value.set_files({"name": name, "mimeType": mime, "buffer": data})


def test_a_residents_photo_reaches_the_operator_without_its_location_and_a_pdf_comes_back(
    councils, daphne_server, browser
):
    console = console_for(browser, daphne_server, "alpha.localhost", "duty")
    resident = visitor(browser, daphne_server, "alpha.localhost", PARKING_PAGE)
    start_chat(resident, name="Jo Bloggs", question="There is a pothole outside my house")
    console.locator("[data-testid=queue-item] [data-testid=accept]").click()
    panel = console.locator("[data-testid=chat-panel]")
    expect(panel).to_have_count(1)
    expect(resident.locator("[data-testid=cc-status]")).to_contain_text("talking to")

    # The resident's photo, with the phone's GPS position in its EXIF.
    photo = files.photo_with_location()
    assert files.gps_of(photo)
    expect(resident.locator("[data-testid=cc-attach]")).to_have_text("Add a photo or PDF")
    choose_file(resident, "[data-testid=cc-attach]", "pothole.jpg", "image/jpeg", photo)
    expect(resident.locator("[data-testid=cc-attach-status]")).to_have_text("pothole.jpg was sent.")
    mine = resident.locator("[data-testid=cc-log] [data-testid=cc-attachment] img")
    expect(mine).to_have_attribute("alt", re.compile(r"^Photo sent by you: pothole\.jpg, \d+ KB$"))
    assert axe_violations(resident) == []
    save_screenshot(resident, "widget", "photo-sent")

    seen = panel.locator("[data-testid=attachment] img")
    expect(seen).to_have_attribute(
        "alt", re.compile(r"^Photo sent by Jo Bloggs: pothole\.jpg, \d+ KB$")
    )
    console.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=attachment] img');"
        " return i && i.complete && i.naturalWidth === 320; }"
    )
    url = seen.get_attribute("src")
    served = fetch(console, url)
    assert served.status == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert files.gps_of(served.body) == {}  # the location is gone from what is served
    assert axe_violations(console) == []
    save_screenshot(console, "console", "photo-received")

    # Another council's operator, signed in on their own host, finds nothing there or here.
    other = console_for(browser, daphne_server, "beta.localhost", "duty")
    assert fetch(other, url).status == 404
    other.goto(daphne_server.url("alpha.localhost", "/healthz"))  # their browser, Alpha's host
    assert fetch(other, url).status == 404

    # The operator sends a PDF; the resident sees it as a link with its name and size.
    choose_file(console, "[data-testid=attach]", "permit-form.pdf", "application/pdf", files.pdf())
    expect(panel.locator("[data-testid=attach-status]")).to_have_text("permit-form.pdf sent.")
    link = resident.locator("[data-testid=cc-log] .m.operator [data-testid=cc-attachment]")
    expect(link).to_have_text(re.compile(r"^permit-form\.pdf \(PDF, \d+ KB\)$"))
    expect(link).to_have_attribute("aria-label", re.compile(r"^Document sent by Duty: "))
    document = fetch(resident, link.get_attribute("href"))
    assert document.status == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"] == 'attachment; filename="permit-form.pdf"'
    assert document.body == files.pdf()
    assert axe_violations(resident) == []
    assert axe_violations(console) == []
    save_screenshot(resident, "widget", "document-received")

    # A web page dressed as a photo is refused, and the resident is told why.
    choose_file(resident, "[data-testid=cc-attach]", "nice.jpg", "image/jpeg", files.HTML_PAGE)
    error = resident.locator("[data-testid=cc-attach-error]")
    expect(error).to_have_text(
        "nice.jpg cannot be sent. Send a photo (JPEG, PNG, GIF or WebP) or a PDF."
    )
    expect(error).to_have_attribute("role", "alert")
    expect(resident.locator("[data-testid=cc-log] [data-testid=cc-attachment]")).to_have_count(2)
    assert axe_violations(resident) == []
