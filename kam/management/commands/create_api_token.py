"""``manage.py create_api_token USERNAME [--name NAME]`` — a new API key for a user (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kam.api_tokens import api_token_create

DEFAULT_NAME = "cli"


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print its key. The key is printed alone on the last line of "
        "the output (for scripts) and cannot be shown again: only its hash is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user the token acts as, e.g. an integration user.")
        parser.add_argument(
            "--name",
            default=DEFAULT_NAME,
            help=f"What the token is for, shown in token lists (default: {DEFAULT_NAME}).",
        )

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        User = get_user_model()
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        if not user.is_active:
            raise CommandError(f"The user {username!r} is inactive; its tokens would not authenticate.")
        try:
            token, key = api_token_create(user=user, name=name)
        except ValidationError as error:
            fields = error.message_dict if hasattr(error, "error_dict") else {"token": error.messages}
            raise CommandError(
                " ".join(f"{field}: {' '.join(messages)}" for field, messages in fields.items())
            ) from None
        self.stdout.write(
            f'Created API token "{token.name}" ({token.prefix}…) for {username}. '
            "Keep the key now; it cannot be shown again. Use it as `Authorization: Token <key>`:"
        )
        self.stdout.write(key)
