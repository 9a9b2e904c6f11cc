"""The sign-in forms of ``/login/`` and ``/admin/login/``: Django's, with the sign-in protection of
``kam/login_protection.py`` in front (a lockout refuses before the password is checked) and behind (a wrong
username or password is counted; a right one clears the username's failures)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from kam.login_protection import (
    login_client_address,
    login_failure_record,
    login_lockout_get,
    login_success_record,
)


class LoginProtectionMixin:
    """Put in front of an ``AuthenticationForm`` (it reads ``self.request`` and ``self.user_cache``)."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""  # type: ignore[attr-defined]
        address = login_client_address(self.request)  # type: ignore[attr-defined]
        lockout = login_lockout_get(username=username, address=address)
        if lockout is not None:
            raise forms.ValidationError(lockout.message, code="locked_out")
        try:
            cleaned_data = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            # Counted only when the credentials were wrong: the admin also refuses a right password of a user who
            # is not staff, and that is not a guess.
            if username and self.cleaned_data.get("password") and self.user_cache is None:  # type: ignore[attr-defined]
                started = login_failure_record(username=username, address=address)
                if started is not None:
                    raise forms.ValidationError(started.message, code="locked_out") from None
            raise
        login_success_record(username=username)
        return cleaned_data


class LoginForm(LoginProtectionMixin, AuthenticationForm):
    """``/login/``."""


class AdminLoginForm(LoginProtectionMixin, AdminAuthenticationForm):
    """``/admin/login/``: staff only, as Django's."""
