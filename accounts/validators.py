"""The portal's password policy (from the client guide)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class PortalPasswordValidator:
    """At least ``min_length`` characters, with a digit, an upper- and a lower-case letter.

    Each unmet rule gives its own message, so the user sees exactly what to fix.
    """

    def __init__(self, min_length: int = 7) -> None:
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        errors = []
        if len(password) < self.min_length:
            errors.append(
                ValidationError(
                    ngettext(
                        "The password must contain at least %(min_length)d character.",
                        "The password must contain at least %(min_length)d characters.",
                        self.min_length,
                    ),
                    code="password_too_short",
                    params={"min_length": self.min_length},
                )
            )
        if not any(c.isdigit() for c in password):
            errors.append(
                ValidationError(_("The password must contain at least one digit."), code="password_no_digit")
            )
        if not any(c.isupper() for c in password):
            errors.append(
                ValidationError(
                    _("The password must contain at least one upper-case letter."), code="password_no_upper"
                )
            )
        if not any(c.islower() for c in password):
            errors.append(
                ValidationError(
                    _("The password must contain at least one lower-case letter."), code="password_no_lower"
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "At least %(min_length)d characters, including at least one digit, one upper-case "
            "letter and one lower-case letter."
        ) % {"min_length": self.min_length}
