"""Web addresses as links in HTML transcripts (chat/links.py): http(s) only, punctuation
outside, everything else escaped (issue 15)."""

from __future__ import annotations

import pytest

from chat.links import linkify_html, split_links


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("Pay at https://example.gov.uk/pay.", ["https://example.gov.uk/pay"]),
        ("See (https://example.gov.uk/a), then", ["https://example.gov.uk/a"]),
        (
            "Wiki https://en.wikipedia.org/wiki/Bin_(container)!",
            ["https://en.wikipedia.org/wiki/Bin_(container)"],
        ),
        (
            "Two: http://a.example/x?y=1&z=2, https://b.example/#top;",
            ["http://a.example/x?y=1&z=2", "https://b.example/#top"],
        ),
        ("HTTPS://EXAMPLE.GOV.UK/Pay?", ["HTTPS://EXAMPLE.GOV.UK/Pay"]),
        ("javascript:alert(1) data:text/html,<b>x</b> ftp://example.com/f", []),
        ("https:// alone, https://?q=1 and xhttps://example.com", []),
        ("<https://example.gov.uk/pay>", ["https://example.gov.uk/pay"]),
    ],
)
def test_only_http_and_https_addresses_become_links_without_trailing_punctuation(text, links):
    pieces = split_links(text)
    assert "".join(piece for piece, _ in pieces) == text
    assert [piece for piece, is_link in pieces if is_link] == links


def test_a_link_opens_in_a_new_tab_without_referrer_and_shows_its_full_address():
    html = linkify_html("Pay here: https://example.gov.uk/pay?a=1&b=2.\nThanks")
    assert html == (
        'Pay here: <a href="https://example.gov.uk/pay?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">https://example.gov.uk/pay?a=1&amp;b=2</a>.<br>Thanks'
    )


def test_nothing_else_in_a_message_becomes_html():
    html = linkify_html('<img src=x onerror="alert(1)"> javascript:alert(1) "https://x.example/"')
    assert "<img" not in html and "<a" in html
    assert html.startswith("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; javascript:alert(1)")
    assert html.count("<a ") == 1 and 'href="https://x.example/"' in html
