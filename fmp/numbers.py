"""Random, unguessable reference numbers (tickets, orders), unique by a database constraint."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable

from django.db import IntegrityError, models, transaction


def random_code(letters: int, digits: int, prefix: str = "") -> str:
    return (
        prefix
        + "".join(secrets.choice(string.ascii_uppercase) for _ in range(letters))
        + "".join(secrets.choice(string.digits) for _ in range(digits))
    )


def create_numbered(model: type[models.Model], make: Callable[[], str], *, field: str = "number", **fields):
    """Create a row under a fresh random number; draw again on the rare collision."""
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return model.objects.create(**{field: make()}, **fields)
        except IntegrityError as exc:
            if field not in str(exc):
                raise
    raise IntegrityError(f"could not draw a free {model._meta.verbose_name} {field}")
