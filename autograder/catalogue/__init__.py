"""The catalogue of realistic mistakes and of correct variants, one module per assignment.

Each entry is a small change to the reference solution of one exercise (the solution cell as
the source notebook holds it, markers removed): a list of (old, new) replacements, each of
which must occur exactly once, so that an entry stops applying, loudly, when the reference
changes. ``tests/autograder/test_catalogue.py`` runs every entry through the real grader:
a mistake must lose points on the exercises it names, and only there, with a diagnostic that
names the likely cause; a correct variant must keep every point.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    """One entry of the catalogue."""

    ident: str  # unique within its assignment, e.g. "softmax_no_max"
    solution: str  # grade_id of the solution cell it changes
    edits: tuple[tuple[str, str], ...]  # (old, new) replacements in that cell's reference code
    ja: str  # one line, Japanese
    en: str  # one line, English
    correct: bool = False  # True: a correct variant that must keep full marks
    breaks: tuple[str, ...] = ()  # grade_ids of the tests cells that must lose points (mistakes)
    hint: str = ""  # a substring the diagnostic must contain (names the likely cause)


class CatalogueError(ValueError):
    """An entry that no longer applies to the reference solution."""


def apply(variant: Variant, code: str) -> str:
    """The solution cell's code with the variant's edits applied (each ``old`` exactly once)."""
    for old, new in variant.edits:
        count = code.count(old)
        if count != 1:
            raise CatalogueError(f"{variant.ident}: {old!r} occurs {count} times in {variant.solution} (expected 1)")
        code = code.replace(old, new)
    return code


def load(assignment: str) -> list[Variant]:
    """The entries of one assignment (empty when it has none yet)."""
    try:
        module = importlib.import_module(f"{__name__}.{assignment}")
    except ModuleNotFoundError:
        return []
    return list(module.VARIANTS)


def assignments_with_entries() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("ch"))
