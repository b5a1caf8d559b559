"""Errors a user can cause in the registry: each names the field, the value and what was expected."""

from __future__ import annotations

from typing import Any


class RegistryError(Exception):
    """A rejected write. `message` is an English msgid with %(name)s params, translated when shown."""

    def __init__(self, field: str | None, message: str, value: Any = None, **params: Any) -> None:
        self.field = field
        self.message = message
        self.value = value
        self.params = {"value": value, **params}
        super().__init__(message % self.params if params or "%(value)" in message else message)

    def render(self) -> str:
        """The message in the current locale (needs an app/request context)."""
        from flask_babel import gettext

        return gettext(self.message, **{k: ("" if v is None else v) for k, v in self.params.items()})
