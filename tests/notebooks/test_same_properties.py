"""No hidden surprise: a hidden check asks only for properties that the public tests of its cell check too.

Both sides name their properties (``course.checks.Properties``): the hidden check with ``check(name, …)``
on fresh inputs, the public test cell with ``with test.property(name):`` on inputs the learner sees. Each
source notebook runs in this process with the reference solutions, recording the names on both sides;
then, for every test cell, every property of its hidden check must be among the public properties of
that cell. Names are compared without their last parenthesis, which names the inputs of one side
(「値 (|x| が 5 程度の 4 つの形状)」 in the hidden check and 「値 (0 と log 3)」 in the public test are the
same property). A hidden property missing from the public list is a rule the learner could only learn
from the feedback.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace

import nbformat
import pytest
from in_process import code_cells, execute

import course.hidden
from autograder.assignment import HIDDEN_CALL
from autograder.build import REPO_ROOT, assignment_ids
from course.checks import Properties


def base_name(name: str) -> str:
    """``name`` without its last parenthesis (「値 (形状 (3, 4) の入力)」 → 「値」)."""
    if not name.endswith(")"):
        return name
    depth = 0
    for index in range(len(name) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(name[index], 0)
        if depth == 0:
            return name[:index].rstrip() or name
    return name


def test_base_name():
    assert base_name("値 (形状 (1,)、(7,) の入力)") == "値"
    assert base_name("引数の配列を書き換えない") == "引数の配列を書き換えない"
    assert (
        base_name("1000 前後の大きなスコアでも値が正しい (オーバーフロー対策)")
        == "1000 前後の大きなスコアでも値が正しい"
    )


@contextlib.contextmanager
def recorded_names() -> Iterator[dict[str, dict[str, list[str]]]]:
    """{"public"|"hidden": {check name → property names, in order}} of everything run inside."""
    names: dict[str, dict[str, list[str]]] = {"public": defaultdict(list), "hidden": defaultdict(list)}
    current = {"side": "public", "cell": ""}
    check, block, run_check = Properties.check, Properties.property, course.hidden.run_check

    def recording_check(self, name, *args, **kwargs):
        names[current["side"]][current["cell"]].append(name)
        return check(self, name, *args, **kwargs)

    def recording_block(self, name, *args, **kwargs):
        names[current["side"]][current["cell"]].append(name)
        return block(self, name, *args, **kwargs)

    def recording_run_check(assignment, hidden_check, *args, **kwargs):
        current.update(side="hidden", cell=hidden_check)
        try:
            return run_check(assignment, hidden_check, *args, **kwargs)
        finally:
            current.update(side="public", cell="")

    Properties.check, Properties.property = recording_check, recording_block
    course.hidden.run_check = recording_run_check
    try:
        yield names
    finally:
        Properties.check, Properties.property, course.hidden.run_check = check, block, run_check


def executed_names(assignment: str) -> dict[str, dict[str, list[str]]]:
    """Run the source notebook of ``assignment`` with the reference solutions, in order; the property
    names of each test cell: {"public"|"hidden": {hidden check name → property names}}."""
    source = nbformat.read(REPO_ROOT / "source_notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    namespace: dict = {"__name__": "__main__"}
    with contextlib.chdir(REPO_ROOT / "source_notebooks" / assignment), recorded_names() as names:
        for cell in code_cells(source):
            execute(cell, namespace)  # a test cell's public part (the reference passes it)
            if cell.hidden.strip():
                check = HIDDEN_CALL.search(cell.hidden)["check"]
                names["public"][check] = names["public"].pop("", [])
                execute(replace(cell, source=cell.hidden), namespace)
            names["public"].pop("", None)  # blocks outside test cells (none today) are not a cell's list
    return names


@pytest.mark.parametrize("assignment", assignment_ids())
def test_hidden_properties_are_public_properties(assignment):
    names = executed_names(assignment)
    missing = []
    for check, hidden in names["hidden"].items():
        public = {base_name(name) for name in names["public"].get(check, [])}
        absent = [name for name in dict.fromkeys(hidden) if base_name(name) not in public]
        if absent:
            shown = "、".join(f"「{name}」" for name in names["public"].get(check, [])) or "(性質の一覧なし)"
            missing.append(f"{check}: hidden {absent}; public properties: {shown}")
    assert not missing, "hidden properties that the public tests of the cell do not check:\n" + "\n".join(missing)
