# ruff: noqa: RUF001
"""The widget's own words, translated by Django's gettext and sent with the config.

embed.js has no text of its own: it shows `strings[key]`, so every word a visitor reads is
in locale/ (Welsh in locale/cy). Placeholders are `{name}` style, filled in by the widget.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import override, pgettext


def _strings() -> dict[str, str]:
    return {
        "launcher": _("Chat with us"),
        "title": _("{name} – live chat"),
        "minimise": _("Minimise chat"),
        "switch_language": _("Cymraeg"),
        "exit": _("Exit this page"),
        "name": _("Your name"),
        "department": _("What is it about? (optional)"),
        "service": _("What is your question about? (optional)"),
        "not_sure": _("Not sure"),
        "postcode": _("Your postcode"),
        "postcode_optional": _("Your postcode (optional)"),
        "postcode_hint": _("For example, DT1 1XJ"),
        "question": _("Your question"),
        "optional": _("(optional)"),
        "choose": _("Choose an option"),
        "privacy": _("Read our privacy notice (opens in a new tab)"),
        "council_legend": _("Which council is your question for?"),
        "start": _("Start chat"),
        "starting": _("Starting…"),
        "error_summary": _("There is a problem"),
        "err_name": _("Enter your name."),
        "err_name_long": _("Your name must be 100 characters or fewer."),
        "err_question": _("Enter your question."),
        "err_question_long": _("Your question must be {max} characters or fewer."),
        "err_postcode": _(
            "Enter your postcode, so we can send your question to the right council."
        ),
        "err_postcode_bad": _("Enter a full UK postcode, like DT1 1XJ."),
        "err_council": _("Choose your council."),
        "err_council_again": _("Choose your council, then press Start chat again."),
        "err_required": _("Answer this question: {label}."),
        "err_email": _("Enter an email address like name@example.com."),
        "err_phone": _("Enter a phone number, like 01305 221000."),
        "err_consent": _("Tick the box to say you agree, or you cannot start a chat."),
        "err_contact_how": _("Enter an email address or a phone number, so we can reply."),
        "err_not_allowed": _("Chat is not available on this website."),
        "err_busy": _(
            "Too many attempts from your connection. Please wait a few minutes and try again."
        ),
        "err_start": _("Sorry, we could not start the chat. Please try again."),
        "err_network": _("Sorry, we could not connect. Check your connection and try again."),
        "kept": _("What you typed has been kept."),
        "back": _("Change my answers"),
        "closed_title": _("Chat is closed"),
        "closed": _("Sorry, chat is closed at the moment."),
        "no_operator_online_title": _("No one is available to chat"),
        "no_operator_online": _(
            "Sorry, no one is available to chat right now. Please try again later."
        ),
        "queue_full_title": _("Our advisers are very busy"),
        "queue_full": _(
            "Sorry, all our advisers are busy and the queue is full. Please try again later."
        ),
        "opens_next": _("Chat opens again {when}."),
        "dept_closed_until": _("This team is closed now. Chat with them opens again {when}."),
        "more_questions": _("{name} has a few more questions before your chat starts."),
        "dept_unavailable": _("Nobody in this team can chat right now."),
        "hours_title": _("Opening hours"),
        "links_title": _("You may find these useful"),
        "contact_title": _("Leave a message and we will get back to you"),
        "email": _("Email address"),
        "phone": _("Phone number"),
        "message": _("Your message"),
        "send_enquiry": _("Send message"),
        "enquiry_sent": _("Thank you. Your message has been sent and we will get back to you."),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "queued": _("You are in the queue. Someone will be with you soon."),
        "requeued": _(
            "Your chat is back in the queue; the next available adviser will pick it up."
        ),
        "position": _("You are number {position} in the queue."),
        "wait": _("Estimated wait: {wait}."),
        "wait_soon": _("less than a minute"),
        "wait_minute": _("about 1 minute"),
        "wait_minutes": _("about {n} minutes"),
        "talking_to": _("You are talking to {name}"),
        # Welsh "â" before a consonant, "ag" before a vowel: the widget picks (issue 15).
        "talking_to_vowel": pgettext("a name starting with a vowel", "You are talking to {name}"),
        "an_adviser": _("an adviser"),
        "missed": _("Sorry, no one could answer in time. The council will follow up."),
        # Presence, missed and closed chats (issue 15)
        "adviser_away": _(
            "Your adviser's connection has dropped. Please wait: they will be back soon, or "
            "the next adviser will take your chat."
        ),
        "missed_title": _("No one could answer in time"),
        "missed_follow_up": _(
            "Sorry, no one could answer in time. The council will follow up using the contact "
            "details you gave."
        ),
        "missed_no_contact": _(
            "Sorry, no one could answer in time. Leave your contact details below and the "
            "council will get back to you. What you wrote is kept."
        ),
        "chat_closed_title": _("This chat has ended"),
        "chat_closed": _(
            "This chat has ended, so your message was not sent. Start a new chat, or leave a "
            "message for the council."
        ),
        "leave_message": _("Leave a message instead"),
        "ended": _("Chat ended"),
        "you_ended": _("You ended the chat."),
        "you_quick_exit": _("You left by the quick exit."),
        "you": _("You"),
        "council": _("Council"),
        "is_typing": _("{name} is typing…"),
        "the_adviser": _("The adviser"),
        "messages": _("Messages"),
        "type_message": _("Type your message"),
        "send": _("Send"),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "not_sent": _("Not sent"),
        "too_long": _("That message is too long."),
        "empty": _("That message was empty."),
        "end": _("End chat"),
        "new_chat": _("Start a new chat"),
        "gone": _("Your previous chat is no longer available. Please start a new chat."),
        "rating_legend": _("How helpful was this chat?"),
        "rating_1": _("1 – not at all helpful"),
        "rating_2": _("2"),
        "rating_3": _("3"),
        "rating_4": _("4"),
        "rating_5": _("5 – very helpful"),
        "rating_comment": _("Anything you would like to tell us? (optional)"),
        "rating_send": _("Send feedback"),
        "rating_thanks": _("Thank you for your feedback."),
        "err_rating": _("Choose a rating from 1 to 5."),
        "transcript_label": _("Email me a copy of this chat (optional)"),
        "transcript_send": _("Email transcript"),
        "transcript_sent": _("We will email a copy of this chat to {email} shortly."),
        # …then, once the outbox has sent it (the widget asks: GET …/transcript)
        "transcript_emailed": _("A copy of this chat has been emailed to {email}."),
        "transcript_failed": _(
            "Sorry, we could not email a copy of this chat. Please try again later."
        ),
        "err_send": _("Sorry, that did not work. Please try again."),
        # The council's assistant (issue 14)
        "talk_to_person": _("Talk to a person"),
        "assistant_label": _("Automated assistant"),
        "assistant_disclosure": _(
            "I'm an automated assistant. You can ask for a person at any time."
        ),
        "opens_new_tab": _("(opens in a new tab)"),
        "suggestions_label": _("Related questions"),
        "helpful_question": _("Did this answer help?"),
        "helpful_yes": _("Yes"),
        "helpful_no": _("No"),
        "feedback_thanks": _("Thank you for your feedback."),
        # Asked before a resident ends a chat (issue 15, point 8)
        "end_confirm_title": _("End this chat?"),
        "end_confirm_text": _("You will not be able to send more messages in this chat."),
        "end_confirm_yes": _("Yes, end chat"),
        "end_confirm_no": _("No, keep chatting"),
        # Photos and PDFs (issue 15, docs/attachments.md)
        "attach": _("Add a photo or PDF"),
        "attach_hint": _("Photos (JPEG, PNG, GIF, WebP) or PDF, up to {max}."),
        "attach_sending": _("Sending {name}…"),
        "attach_sent": _("{name} was sent."),
        "attach_too_big": _("{name} is too big. Files can be at most {max}."),
        "attach_err_unsupported_type": _(
            "{name} cannot be sent. Send a photo (JPEG, PNG, GIF or WebP) or a PDF."
        ),
        "attach_err_polyglot": _("{name} cannot be sent: it has another file hidden inside it."),
        "attach_err_image_too_large": _("{name} has too many pixels. Send a smaller photo."),
        "attach_err_pdf_active_content": _(
            "{name} cannot be sent: it contains scripts or embedded files. "
            "Save or print it as a plain PDF and try again."
        ),
        "attach_err_pdf_encrypted": _(
            "{name} is protected by a password. Remove the password and try again."
        ),
        "attach_err_file_damaged": _("{name} seems to be damaged, so it cannot be sent."),
        "attach_err_rate_limited": _(
            "You have sent a lot of files. Please wait a few minutes and try again."
        ),
        "attach_err": _("Sorry, {name} could not be sent. Please try again."),
        "photo_by_you": _("Photo sent by you: {name}, {size}"),
        "photo_by": _("Photo sent by {who}: {name}, {size}"),
        "document_link": _("{name} (PDF, {size})"),
        "document_by_you": _("Document sent by you"),
        "document_by": _("Document sent by {who}"),
    }


def widget_strings(language: str) -> dict[str, str]:
    with override(language):
        return _strings()


def weekday_names(language: str) -> list[str]:
    from django.utils.dates import WEEKDAYS

    with override(language):
        return [str(WEEKDAYS[i]) for i in range(7)]
