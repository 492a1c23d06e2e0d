"""No hidden surprise: every rule that an exercise's docstring states is checked by its public tests.

A rule is recognised by what it names: an exception the code must raise (``ValueError``,
``TypeError``, …) or an argument it must leave alone (書き換えない, 変えない). The public tests of an
exercise are the test cells that follow its solution cell, together with the helper functions
they call from the notebook's other cells (``check_optimizer_steps`` checks that grads is left
alone). A rule is checked when its exception's name, or 書き換え/変わらない for the arguments,
appears there.

``WAITING`` lists the rules that no test checks yet, each with its reason; the test fails for any
other rule, and for a listed rule that has become checked (so the list only shrinks).
"""

from __future__ import annotations

import ast
import re

import pytest

from autograder.build import CHAPTERS_DIR
from autograder.chapters import parse_cells

_ERROR = re.compile(r"\b([A-Z]\w*Error)\b")
_KEEP_ARGUMENTS = ("書き換えない", "変えない", "書き換えず")
_KEPT_CHECKED = ("書き換え", "変わらない", "変えて")

# (assignment, solution id, rule) → why no test checks it yet
WAITING: dict[tuple[str, str, str], str] = {}


def _helpers(cells) -> dict[str, str]:
    """Top-level functions of the notebook's plain code cells (not solutions, not tests): name → source."""
    found = {}
    for cell in cells:
        if cell.kind not in ("code", "given"):
            continue
        source = "\n".join(cell.lines)
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = ast.get_source_segment(source, node) or ""
    return found


def exercise_rules(assignment: str, source: str | None = None) -> dict[tuple[str, str, str], bool]:
    """(assignment, solution id, rule) → whether the exercise's public tests check it.

    source: the chapter's text (default: ``chapters/<assignment>.py``)."""
    if source is None:
        source = (CHAPTERS_DIR / f"{assignment}.py").read_text(encoding="utf-8")
    cells = parse_cells(source, assignment)
    helpers = _helpers(cells)
    groups: list[tuple[str, str, list[str]]] = []
    for cell in cells:
        if cell.kind == "solution":
            groups.append((cell.options["id"], "\n".join(cell.lines), []))
        elif cell.kind == "tests" and groups:
            groups[-1][2].append("\n".join(cell.lines))
    rules = {}
    for solution, code, tests in groups:
        text = "\n".join(tests)
        text += "\n".join(body for name, body in helpers.items() if re.search(rf"\b{name}\(", text))
        for error in sorted(set(_ERROR.findall(code))):
            rules[(assignment, solution, error)] = error in text
        if any(word in code for word in _KEEP_ARGUMENTS):
            rules[(assignment, solution, "arguments left alone")] = any(word in text for word in _KEPT_CHECKED)
    return rules


ASSIGNMENTS = sorted(path.stem for path in CHAPTERS_DIR.glob("ch*.py"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_docstring_rule_has_a_public_test(assignment):
    rules = exercise_rules(assignment)
    unchecked = [rule for rule, checked in rules.items() if not checked and rule not in WAITING]
    assert not unchecked, f"docstring rules that no public test checks: {unchecked}"
    stale = [rule for rule in WAITING if rule[0] == assignment and rules.get(rule, True)]
    assert not stale, f"WAITING lists rules that are checked now (or gone): remove {stale}"


_MADE_UP = """\
# %%
def check_f(value):
    check_true(value, "f が引数の x を書き換えています。")


# %% [solution] id=f
def f(x):
    \"\"\"x が負なら ValueError を出す。x は書き換えない。\"\"\"
    # @reference f


# %% [tests] id=test_f points=1 hidden=f
TESTS
"""


def test_the_rule_finder_tells_checked_rules_from_unchecked_ones():
    """On a made-up chapter: the ValueError rule and the arguments rule, without and with their tests
    (the arguments rule checked through a helper the test cell calls)."""
    nothing = exercise_rules("made_up", _MADE_UP.replace("TESTS", "check_true(True, 'ok')"))
    assert nothing == {("made_up", "f", "ValueError"): False, ("made_up", "f", "arguments left alone"): False}
    tested = "try:\n    f(-1)\nexcept ValueError:\n    pass\ncheck_f(True)"
    both = exercise_rules("made_up", _MADE_UP.replace("TESTS", tested))
    assert both == {("made_up", "f", "ValueError"): True, ("made_up", "f", "arguments left alone"): True}


def rules_shares() -> dict[tuple[str, str], float]:
    """(assignment, solution id) → the share of the exercise's points that its rules cell carries
    (``test_<...>_rules``), for every exercise that has one."""
    shares = {}
    for assignment in ASSIGNMENTS:
        cells = parse_cells((CHAPTERS_DIR / f"{assignment}.py").read_text(encoding="utf-8"), assignment)
        solution, points = "", {}
        for cell in cells:
            if cell.kind == "solution":
                solution = cell.options["id"]
            elif cell.kind == "tests":
                points.setdefault(solution, []).append((cell.options["id"], float(cell.options["points"])))
        for solution, cells_points in points.items():
            rules = sum(p for grade_id, p in cells_points if grade_id.endswith("_rules"))
            if rules:
                shares[(assignment, solution)] = rules / sum(p for _, p in cells_points)
    return shares


def test_edge_rules_carry_a_small_share_and_the_core_the_rest():
    """Partial credit by property: an exercise's input and edge rules are graded in a cell of their
    own and carry at most a quarter of its points; its core carries the rest."""
    shares = rules_shares()
    assert len(shares) >= 8, shares
    too_big = {exercise: share for exercise, share in shares.items() if share > 0.25}
    assert not too_big, f"rules cells that carry more than a quarter of their exercise: {too_big}"
