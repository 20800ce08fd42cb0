"""Validation of the widget's pre-chat form (POST /widget/conversations)."""

import re
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from routing.postcodes import InvalidPostcode, Postcode, parse_postcode

MAX_FIELDS = 20
MAX_FIELD_NAME = 50
MAX_FIELD_VALUE = 500


class ConversationStartForm(forms.Form):
    name = forms.CharField(max_length=100, error_messages={"required": "Enter your name."})
    message = forms.CharField(
        max_length=settings.MESSAGE_MAX_CHARS,
        error_messages={"required": "Enter your question."},
    )
    department = forms.SlugField(required=False, max_length=50)
    council = forms.SlugField(required=False, max_length=50)
    page_url = forms.CharField(required=False, max_length=2000)
    postcode = forms.CharField(required=False, max_length=16)
    language = forms.ChoiceField(required=False, choices=[("en", "English"), ("cy", "Cymraeg")])

    def clean_postcode(self) -> Postcode | None:
        raw = self.cleaned_data["postcode"].strip()
        if not raw:
            return None
        try:
            return parse_postcode(raw)
        except InvalidPostcode as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_page_url(self) -> str:
        url = self.cleaned_data["page_url"].strip()
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise forms.ValidationError("Enter the page's web address (http or https).")
        return url


class EnquiryForm(ConversationStartForm):
    """Contact details left when chat is unavailable: an email or a phone number to reply to."""

    email = forms.EmailField(required=False, max_length=254)
    phone = forms.CharField(required=False, max_length=30)
    reason = forms.ChoiceField(
        required=False,
        choices=[(r, r) for r in ("closed", "no_operator_online", "queue_full", "missed")],
    )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not PHONE.fullmatch(phone):
            raise forms.ValidationError("Enter a phone number, like 01305 221000.")
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not data.get("email") and not data.get("phone"):
            self.add_error("email", "Enter an email address or a phone number, so we can reply.")
        return data


class RatingForm(forms.Form):
    rating = forms.IntegerField(
        min_value=1,
        max_value=5,
        error_messages={"required": "Choose a rating from 1 to 5."},
    )
    comment = forms.CharField(required=False, max_length=2000)


class TranscriptForm(forms.Form):
    email = forms.EmailField(max_length=254, error_messages={"required": "Enter an email address."})


PHONE = re.compile(r"\+?[0-9][0-9 ()-]{6,20}")


def check_configured_fields(answers: dict[str, Any], fields: list) -> dict[str, list[str]]:
    """The council's pre-chat questions (widgets.PrechatField rows): errors keyed
    "fields.<key>", for answers that are missing when required or malformed."""
    errors: dict[str, list[str]] = {}
    for field in fields:
        value = answers.get(field.key)
        text = value.strip() if isinstance(value, str) else value
        empty = text in (None, "", False)
        if empty:
            if field.required:
                errors[f"fields.{field.key}"] = [
                    "Tick the box to say you agree."
                    if field.kind == "consent"
                    else f"Answer this question: {field.label}."
                ]
            continue
        problem = None
        if field.kind in ("email", "phone", "postcode", "choice") and not isinstance(text, str):
            # A number or true where text is asked for (validate_email(7) raised TypeError).
            problem = "Answer this question with text."
        elif field.kind == "email":
            try:
                validate_email(text)
            except ValidationError:
                problem = "Enter an email address like name@example.com."
        elif field.kind == "phone" and not (isinstance(text, str) and PHONE.fullmatch(text)):
            problem = "Enter a phone number, like 01305 221000."
        elif field.kind == "postcode":
            try:
                parse_postcode(str(text))
            except InvalidPostcode as exc:
                problem = str(exc)
        elif field.kind == "choice":
            options = [line.partition("|")[0].strip() for line in field.choices.splitlines()]
            if text not in options:
                problem = "Choose one of the options."
        elif field.kind == "consent" and text is not True:
            problem = "Tick the box to say you agree."
        if problem:
            errors[f"fields.{field.key}"] = [problem]
    return errors


def clean_prechat_fields(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """The extra pre-chat answers, or the errors that stop them being stored."""
    if raw is None:
        return {}, []
    if not isinstance(raw, dict) or len(raw) > MAX_FIELDS:
        return {}, [f"Send fields as an object of at most {MAX_FIELDS} answers."]
    for key, value in raw.items():
        if len(key) > MAX_FIELD_NAME or not isinstance(value, str | bool | int | None):
            return {}, [f"{key[:MAX_FIELD_NAME]!r} must be a short text answer."]
        if isinstance(value, str) and len(value) > MAX_FIELD_VALUE:
            return {}, [f"{key!r} can be at most {MAX_FIELD_VALUE} characters."]
    return {key: value for key, value in raw.items() if value is not None}, []


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}
