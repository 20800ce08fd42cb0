"""The subject access and erasure forms: one identifier of the person."""

from __future__ import annotations

from django import forms

from privacy.registry import Subject


class SubjectForm(forms.Form):
    KINDS = [
        ("email", "Email address"),
        ("phone", "Phone number"),
        ("name", "Name (as they typed it)"),
        ("social_id", "Social-channel id (Messenger or WhatsApp)"),
    ]
    kind = forms.ChoiceField(label="Find the person by", choices=KINDS, initial="email")
    value = forms.CharField(label="Their email, phone, name or id", max_length=254)

    def clean(self):
        data = super().clean()
        value = (data.get("value") or "").strip()
        kind = data.get("kind")
        if kind == "email" and value and "@" not in value:
            self.add_error("value", "Enter an email address.")
        if kind == "phone" and value and not any(ch.isdigit() for ch in value):
            self.add_error("value", "Enter a phone number.")
        data["value"] = value
        return data

    def subject(self) -> Subject:
        return Subject(**{self.cleaned_data["kind"]: self.cleaned_data["value"]})


class LegalHoldForm(forms.Form):
    reason = forms.CharField(
        label="Reason (e.g. a case reference; no names)", max_length=200, required=True
    )
