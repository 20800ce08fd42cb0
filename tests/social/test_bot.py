"""What the assistant's turn looks like on each channel (social/bot.py): plain functions,
no database."""

from __future__ import annotations

from chat.models import Message
from councils.sites import CouncilRef
from social.bot import absolute_url, offline_text, reply_compose

COUNCIL = CouncilRef(
    id=1,
    slug="alpha",
    name="Alpha",
    schema_name="council_alpha",
    partnership_id=None,
    hosts=("alpha.localhost",),
    embed_origins=("https://www.alpha.gov.uk",),
)


def bot(body: str, **extra) -> Message:
    return Message(author="bot", body=body, extra={"links": [], "suggestions": [], **extra})


def test_a_path_on_the_councils_site_becomes_an_address_on_its_website_or_its_host():
    assert absolute_url(COUNCIL, "/bins") == "https://www.alpha.gov.uk/bins"
    assert absolute_url(COUNCIL, "https://gov.uk/x") == "https://gov.uk/x"
    bare = CouncilRef(1, "a", "A", "s", None, ("alpha.localhost",), embed_origins=("www.a.uk",))
    assert absolute_url(bare, "/bins") == "https://www.a.uk/bins"
    hostonly = CouncilRef(1, "a", "A", "s", None, ("alpha.localhost",))
    assert absolute_url(hostonly, "/bins") == "https://alpha.localhost/bins"


def test_long_suggestions_are_listed_and_short_ones_become_buttons_with_talk_to_a_person():
    message = bot(
        "Answer.",
        links=[{"url": "/pay", "text": "Pay"}],
        suggestions=["Bin day", "How do I report a missed bin collection?", "Council tax"],
    )
    text, buttons = reply_compose(
        COUNCIL, [message], channel="whatsapp", language="en", with_assistant=True
    )
    assert buttons == ["Bin day", "Council tax", "Talk to a person"]
    assert text == (
        "Answer.\n\nLinks:\nPay: https://www.alpha.gov.uk/pay\n\n"
        "You could also ask:\n• How do I report a missed bin collection?"
    )
    # Messenger takes up to 13 quick replies; Welsh labels in a Welsh chat.
    _text, quick = reply_compose(
        COUNCIL, [message], channel="messenger", language="cy", with_assistant=True
    )
    assert quick == ["Bin day", "Council tax", "Siarad â pherson"]


def test_a_whatsapp_reply_too_long_for_buttons_goes_as_text_ending_with_how_to_ask():
    message = bot("x" * 1100, suggestions=["Bin day"])
    text, buttons = reply_compose(
        COUNCIL, [message], channel="whatsapp", language="en", with_assistant=True
    )
    assert buttons == []
    assert text.endswith('You could also ask:\n• Bin day\nReply "person" to talk to a person.')


def test_with_a_person_now_there_are_no_buttons_and_the_parts_arrive_in_order():
    text, buttons = reply_compose(
        COUNCIL,
        [bot("Call 999 now."), bot("I'm passing you to a person now.")],
        channel="whatsapp",
        language="en",
        with_assistant=False,
    )
    assert (text, buttons) == ("Call 999 now.\n\nI'm passing you to a person now.", [])


def test_the_offline_options_as_text_carry_the_message_when_it_opens_hours_and_links():
    frame = {
        "message": "Chat is closed.",
        "detail": "",
        "next_open_text": "tomorrow at 09:00",
        "hours": [{"day": "Monday", "opens": "09:00", "closes": "17:00"}],
        "links": [{"title": "Report it", "url": "/report"}],
    }
    assert offline_text(COUNCIL, frame, "cy") == (
        "Chat is closed.\n\nByddwn ar agor eto tomorrow at 09:00.\n\n"
        "Oriau agor:\nMonday 09:00 tan 17:00\n\nDolenni:\nReport it: https://www.alpha.gov.uk/report"
    )
