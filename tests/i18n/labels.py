"""What "translated" means for a label: it goes through gettext and the French catalogue
has it. A French word equal to the English one ("Site", "Type", "Code") counts when the
catalogue holds it; a label that never went through gettext (a field without a verbose
name shows its attribute name, "device") does not."""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import trans_real


def in_both_languages(label) -> tuple[str, str]:
    with translation.override("en"):
        english = str(label)
    with translation.override("fr"):
        french = str(label)
    return english, french


def is_translated(label) -> bool:
    if not isinstance(label, Promise):
        return False
    english, french = in_both_languages(label)
    if french != english:
        return True
    catalogue = trans_real.translation("fr")._catalog
    return catalogue.get(english) is not None or catalogue.get((english, 0)) is not None
