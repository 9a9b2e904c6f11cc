"""The form of the import page: what the file holds, and the file."""

from __future__ import annotations

from django import forms

from accounts.choices import ImportKind
from accounts.forms import ServiceErrorsMixin, bootstrap_widgets


class ImportUploadForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(choices=ImportKind.choices, label="The file holds")
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma-separated, a header row naming the columns.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)
