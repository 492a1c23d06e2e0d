"""Stepped hints (``course.hints``): every exercise has them, and neither they nor the stubs hold the solution.

The oracle is the reference solutions themselves (:func:`autograder.chapters.reference_body`, the code
that ``# @reference NAME`` puts into the source notebooks): a hint or a released stub that contains one
of its code lines, or the expression a line assigns or returns, hands out the answer.
"""

from __future__ import annotations

import ast
import re
from functools import cache

import nbformat
import pytest

from autograder.build import REPO_ROOT
from autograder.chapters import MODEL_ANSWER, parse_cells, reference_body
from course.hints import hint, hint_names, hints_of

MIN_CHARS = 12  # shorter code (``x.T @ d``, ``np.exp(x)``) is vocabulary rather than an answer
_MARKER = re.compile(r"^\s*# @reference ([\w.]+)\s*$", re.MULTILINE)
_KANA = re.compile(r"[\u3040-\u30ff]")
_HEADER = re.compile(r"^(for|if|elif|while|with|try|else|def|class)\b")
# a call on plain names, e.g. ``layer.forward(x)``, ``SoftmaxWithLoss()``, ``super().update(params,grads)``
_INTERFACE_CALL = re.compile(r"[\w.]+(?:\(\))?\.?[\w.]*\((?:[\w.]+(?:,[\w.]+)*)?\)")


def reference_names() -> dict[str, str]:
    """name → chapter, for every ``# @reference`` of the chapter sources."""
    found = {}
    for path in sorted((REPO_ROOT / "chapters").glob("ch*.py")):
        for name in _MARKER.findall(path.read_text(encoding="utf-8")):
            found[name] = path.stem
    return found


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def solution_fragments(name: str) -> set[str]:
    """The code of the reference solution of ``name``, whitespace removed: each line, and what it assigns
    or returns (``raise`` lines are the contract the docstring states, not the answer)."""
    fragments = set()
    for line in reference_body(name):
        code = line.split("  #")[0].strip()
        if not code or code.startswith(("#", "raise ", '"""', "'''")) or _HEADER.match(code):
            continue  # a loop or branch header states the structure, which the docstring may name
        fragments.add(_squeeze(code))
        match = re.match(r"^(?:return|yield)\s+(.*)$|^[^=()\[\]<>!]+?(?:[-+*/@]?=)(?!=)\s*(.*)$", code)
        if match:
            fragments.add(_squeeze(match.group(1) or match.group(2) or ""))
    return {f for f in fragments if len(f) >= MIN_CHARS and not _vocabulary(f)}


def _vocabulary(fragment: str) -> bool:
    """Code that names things without computing: ``self.momentum``, ``dx,dgamma,dbeta``, ``self.eps=eps``,
    a call of the interface on plain names (``network.gradient(x_batch,t_batch)``, ``SoftmaxWithLoss()``)
    and a line of a call or literal that spans several lines (``self.params={``, ``epochs,mini_batch_size=32,``).
    The docstrings and the text need these to state the contract."""
    if not re.search(r"[=+\-*/@<>%~(]", fragment):
        return True
    if _INTERFACE_CALL.fullmatch(fragment) or fragment.endswith(("(", "[", "{", ",")):
        return True
    stored = re.match(r"^self\.(\w+)=(\w+)$", fragment)
    return bool(stored and stored.group(1) == stored.group(2))


def leaks(text: str, fragments: set[str]) -> list[str]:
    squeezed = _squeeze(text)
    return sorted(f for f in fragments if f in squeezed)


@cache
def released_stubs() -> dict[str, str]:
    """'chapter/grade_id' → the text of every code solution cell of the release (what the learner starts from)."""
    stubs = {}
    for path in sorted((REPO_ROOT / "release").glob("ch*/ch*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("solution"):
                stubs[f"{path.parent.name}/{meta['grade_id']}"] = cell.source
    return stubs


ALL_FRAGMENTS = {name: solution_fragments(name) for name in reference_names()}
EVERY_FRAGMENT = set().union(*ALL_FRAGMENTS.values())


def _is_header(line: str) -> bool:
    return bool(re.match(r"^\s*(def|class)\s", line))


def test_the_oracle_finds_a_solution_line():
    """A hint copying the reference's line is caught (and the fragments are not empty)."""
    fragments = solution_fragments("softmax")
    assert fragments
    assert leaks("ヒント: " + "\n".join(reference_body("softmax")), fragments)
    assert not leaks("各行の最大値を引いてから指数関数を取ります。", fragments)
    # a branch the docstring states (``0 <= dropout_ratio < 1``) is not an answer
    assert not leaks("if not 0 <= dropout_ratio < 1: なら ValueError", solution_fragments("Dropout.__init__"))


def test_every_exercise_has_two_or_three_japanese_hints():
    assert set(hint_names()) == set(reference_names())
    for name in hint_names():
        steps = hints_of(name)
        assert 2 <= len(steps) <= 3, f"{name}: {len(steps)} hints"
        for text in steps:
            assert _KANA.search(text), f"{name}: a hint not in Japanese: {text!r}"
            assert len(text) <= 300, f"{name}: a hint of {len(text)} characters (keep each step short)"
        assert len(set(steps)) == len(steps), f"{name}: a hint repeated"


@pytest.mark.parametrize("name", sorted(reference_names()))
def test_no_hint_holds_a_solution_line(name):
    for step, text in enumerate(hints_of(name), start=1):
        found = leaks(text, EVERY_FRAGMENT)
        assert not found, f"hint({name!r}, {step}) holds solution code: {found}"


@pytest.mark.parametrize("stub", sorted(released_stubs()))
def test_no_released_stub_holds_a_solution_line(stub):
    # the signatures are given: ``def he_std(n_in):`` is not ch10's answer ``he_std(n_in)``
    text = "\n".join(line for line in released_stubs()[stub].splitlines() if not _is_header(line))
    found = leaks(text, EVERY_FRAGMENT)
    assert not found, f"the released stub {stub} holds solution code (docstring or comment): {found}"


def learner_visible_text(chapter: str) -> dict[str, str]:
    """'line N (kind)' → the text of every cell of a chapter source that the learner reads apart from the
    stubs (tested above) and the [given] cells (earlier chapters' model answers, released only once those
    chapters close: ``autograder release``): markdown, plain code, public tests, and the written questions
    without their model answers (nbgrader removes those from the release)."""
    path = REPO_ROOT / "chapters" / f"{chapter}.py"
    cells = {}
    for cell in parse_cells(path.read_text(encoding="utf-8"), path.name):
        if cell.kind in ("given", "solution"):
            continue
        text = "\n".join(cell.lines)
        if cell.kind == "answer":
            text = text.partition(MODEL_ANSWER)[0]
        cells[f"line {cell.line_number} ({cell.kind})"] = text
    return cells


@pytest.mark.parametrize("chapter", sorted(set(reference_names().values())))
def test_no_text_of_a_chapter_holds_a_solution_line_of_its_exercises(chapter):
    """The explanations, demos, public tests and their failure messages teach the idea in words or
    mathematics; a line of the chapter's own answers written there is transcribed, not learned."""
    fragments = set().union(*(ALL_FRAGMENTS[name] for name, where in reference_names().items() if where == chapter))
    found = {where: leaks(text, fragments) for where, text in learner_visible_text(chapter).items()}
    found = {where: hits for where, hits in found.items() if hits}
    assert not found, f"{chapter}: text outside the stubs holds solution code: {found}"


@pytest.mark.parametrize("name", sorted(reference_names()))
def test_each_stub_points_to_its_hints(name):
    """The stub of every exercise says how to ask for its hints: ``# ヒント: hint("NAME")``."""
    chapter = reference_names()[name]
    stubs = [text for key, text in released_stubs().items() if key.startswith(f"{chapter}/")]
    assert any(f'hint("{name}")' in text for text in stubs), f'no stub of {chapter} mentions hint("{name}")'


def test_hint_shows_steps_and_names_the_next(capsys):
    name = hint_names()[0]
    steps = hints_of(name)
    hint(name)
    out = capsys.readouterr().out
    assert f"ヒント 1/{len(steps)} ({name})" in out and steps[0] in out
    assert f'hint("{name}", 2)' in out
    hint(name, len(steps) + 5)
    out = capsys.readouterr().out
    assert f"{len(steps)} 段階まで" in out and steps[-1] in out and "次のヒント" not in out


def test_hint_on_a_class_lists_its_methods_and_a_typo_gets_suggestions(capsys):
    hint("Affine")
    out = capsys.readouterr().out
    assert 'hint("Affine.forward")' in out and 'hint("Affine.backward")' in out
    hint("softmx")
    assert "'softmax'" in capsys.readouterr().out
    hint("softmax", 0)
    assert "1 から" in capsys.readouterr().out


def message_literals(source: str) -> dict[str, str]:
    """'line N, column C' → every string literal of a Python module that a failure can show the learner:
    docstrings (read by instructors only) are left out, an f-string is its literal text with ``{…}`` for each field."""
    tree = ast.parse(source)
    docstrings, parts = set(), set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and body and isinstance(body[0], ast.Expr):
            docstrings.add(id(body[0].value))
        if isinstance(node, ast.JoinedStr):
            parts.update(id(value) for value in node.values)
    messages = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{…}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings | parts:
            text = node.value
        else:
            continue
        messages[f"line {node.lineno}, column {node.col_offset}"] = text
    return messages


def hidden_check_messages(chapter: str) -> dict[str, str]:
    return message_literals((REPO_ROOT / "course" / "hidden" / "checks" / f"{chapter}.py").read_text(encoding="utf-8"))


def _chapters_up_to(chapter: str) -> list[str]:
    return [where for where in sorted(set(reference_names().values())) if where <= chapter]


@pytest.mark.parametrize("chapter", sorted(set(reference_names().values())))
def test_no_hidden_check_message_holds_a_solution_line(chapter):
    """A hidden check that fails says what is wrong and where to look, in words or mathematics: a message
    holding a line of the answers of its chapter (or of an earlier chapter whose code it asks to fix) is passed
    by transcription. The same oracle and fragment rule as the hints and the chapter texts above."""
    fragments = set().union(
        *(ALL_FRAGMENTS[name] for name, where in reference_names().items() if where in _chapters_up_to(chapter))
    )
    found = {where: leaks(text, fragments) for where, text in hidden_check_messages(chapter).items()}
    found = {where: hits for where, hits in found.items() if hits}
    assert not found, f"course/hidden/checks/{chapter}.py: messages hold solution code: {found}"


def test_the_message_reader_finds_an_answer_in_an_f_string_and_skips_docstrings():
    fragments = solution_fragments("Affine.backward")
    source = (
        '"""Module docstring: self.db = np.sum(dout, axis=0)."""\n'
        "def check(where):\n"
        '    """Docstring: self.db = np.sum(dout, axis=0)."""\n'
        '    fail(f"{where}: db をバッチ方向に合計していません。"\n'
        '         "np.sum(dout, axis=0) で形状 (M,) にします。")\n'
        '    fail("db はバッチ方向 (N の軸) の和です。")\n'
    )
    messages = message_literals(source)
    assert len(messages) == 2 and not any("Docstring" in text for text in messages.values())
    assert [leaks(text, fragments) for text in messages.values()] == [["np.sum(dout,axis=0)"], []]
    assert hidden_check_messages("ch03_numerical_gradient")  # the real modules parse
