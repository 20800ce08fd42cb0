"""Validation of the widget's pre-chat form (POST /widget/conversations)."""

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings

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
