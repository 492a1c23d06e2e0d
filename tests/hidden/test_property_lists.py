"""A hidden check that lists its properties shows, for a catalogued mistake, ✗ on the property the
mistake breaks and ✓ on the others (partial verdicts inside one graded cell), with the catalogued cause
first."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from autograder.build import REPO_ROOT
from autograder.catalogue import apply, load
from autograder.synthetic import solution_cells
from course.checks import PROPERTY_LIST_HEADING, CheckFailure
from course.hidden import run_check
from course.hidden.runner import LocalRunner

ASSIGNMENT = "ch01_activation"


def _namespace(ident: str) -> dict:
    """The learner's namespace with the catalogued mistake ``ident`` in its solution cell."""
    source = nbformat.read(REPO_ROOT / "source_notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    variant = next(v for v in load(ASSIGNMENT) if v.ident == ident)
    namespace: dict = {"np": np}
    exec(apply(variant, solution_cells(source)[variant.solution]), namespace)  # noqa: S102 (our own catalogue)
    return namespace


@pytest.mark.parametrize(
    ("ident", "check", "marks"),
    [
        ("sigmoid_naive", "sigmoid", ["✓", "✓", "✗"]),
        ("compose_bias_in_place", "compose_affine", ["✓", "✓", "✓", "✓", "✗"]),
        ("compose_order_swapped", "compose_affine", ["✗", "✗", "✗", "✗", "✓"]),
    ],
)
def test_a_mistake_fails_only_the_properties_it_breaks(ident, check, marks):
    variant = next(v for v in load(ASSIGNMENT) if v.ident == ident)
    with pytest.raises(CheckFailure) as info:
        run_check(ASSIGNMENT, check, LocalRunner(_namespace(ident)), learner="property-lists")
    cause, listed = str(info.value).split(PROPERTY_LIST_HEADING)
    assert variant.hint in cause
    assert [line[0] for line in listed.strip().splitlines()] == marks
    assert set(info.value.properties.values()) <= {"pass", "fail", "skip"}
    assert list(info.value.properties.values()) == [{"✓": "pass", "✗": "fail"}[m] for m in marks]
