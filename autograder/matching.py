"""Find the learner's answers in a submitted notebook, however editors have mangled it.

The grader runs the instructor's own cells around the answers, so all it needs from a
submission is, per solution cell, the learner's code, and per written-answer cell, the text.
Rules, in order (nothing here ever executes the learner's code; it is only parsed):

1. A code cell carrying the solution's nbgrader ``grade_id``. Several (a duplicated cell):
   the last one in notebook order, as if the notebook ran top to bottom; but an untouched
   stub never wins over a cell the learner wrote in. If the chosen cell lacks some of the
   names the solution defines and earlier cells with the same grade_id define them (a cell
   split in JupyterLab copies its metadata to every part), those parts are joined in order.
2. A markdown or raw cell carrying the grade_id (the type was changed): its text, or the
   code fenced in it, if it parses as Python and defines the solution's names.
3. Otherwise (metadata dropped by VS Code or Colab, cells merged, the stub left alone while
   the answer was written elsewhere): the last code cell whose top-level definitions include
   all of the solution's ``defines``; failing that, the last definition of each name, joined.
   The instructor's own cells (given code, tests) are never taken for answers.

A cell that still holds the untouched stub counts as found: it simply scores 0.
Written answers are found only by grade_id (a markdown cell has no definitions to go by).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import nbformat

from .assignment import MAX_PARSED_CHARS, AssignmentSpec, CellSpec, defined_names
from .nbgrader_setup import CODE_STUB, TEXT_STUB

_STUB_COMMENT, _STUB_RAISE = (line.strip() for line in CODE_STUB.splitlines())
_FENCED = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
# what the parser raises on hostile input besides SyntaxError (deep nesting, NUL bytes)
_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)
NO_METADATA_NOTE = (
    "nbgrader のメタデータ (metadata) がありません (VS Code や Colab で保存すると消えることがあります)。"
    "解答セルは定義されている名前から特定しました (no nbgrader metadata)"
)


@dataclass
class Answers:
    """The learner's answers of one notebook, keyed by the grade_id of the instructor's cells."""

    code: dict[str, str | None]  # every solution cell → the learner's code (None: not found)
    text: dict[str, str | None]  # every written-answer cell → the learner's markdown (None: not found)
    notes: list[str] = field(default_factory=list)  # how cells were found, in Japanese


@dataclass(frozen=True)
class _Cell:
    index: int
    cell_type: str
    source: str
    grade_id: str | None


def holds_stub(source: str) -> bool:
    """True if the code still holds the release's stub (the comment followed by the raise)."""
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    return any(a == _STUB_COMMENT and b == _STUB_RAISE for a, b in zip(lines, lines[1:]))


def extract_answers(nb: nbformat.NotebookNode, spec: AssignmentSpec) -> Answers:
    """The learner's answer to every solution and written-answer cell of ``spec`` in ``nb``."""
    cells = [_read_cell(index, cell) for index, cell in enumerate(nb.get("cells") or []) if isinstance(cell, dict)]
    answers = Answers(code={}, text={})
    if not cells:
        answers.code = {c.grade_id: None for c in spec.solutions}
        answers.text = {c.grade_id: None for c in spec.answers}
        answers.notes.append("ノートブックにセルが 1 つもありません (empty notebook)")
        return answers
    if not any(cell.grade_id for cell in cells):
        answers.notes.append(NO_METADATA_NOTE)
    finder = _Finder(cells, spec)
    for solution in spec.solutions:
        answers.code[solution.grade_id] = finder.solution(solution, answers.notes)
    for written in spec.answers:
        answers.text[written.grade_id] = finder.written(written.grade_id, answers.notes)
    nothing = all(v is None for v in answers.code.values()) and all(v is None for v in answers.text.values())
    if nothing and (answers.code or answers.text):
        answers.notes.append(
            f"この課題 ({spec.assignment}) の解答セルが 1 つも見つかりません。"
            "別の課題のノートブックではありませんか (wrong assignment?)"
        )
    return answers


def _read_cell(index: int, cell: dict) -> _Cell:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(part for part in source if isinstance(part, str))
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return _Cell(
        index,
        str(cell.get("cell_type", "")),
        source if isinstance(source, str) else "",
        grade_id if isinstance(grade_id, str) and grade_id else None,
    )


def safe_defined_names(source: str) -> frozenset[str]:
    """``assignment.defined_names`` that also survives hostile code (empty when it does not parse)."""
    try:
        return frozenset(defined_names(source))
    except _PARSE_ERRORS:  # defined_names only catches SyntaxError
        return frozenset()


def _parses(source: str) -> bool:
    if len(source) > MAX_PARSED_CHARS:
        return False
    try:
        ast.parse(source)
    except _PARSE_ERRORS:
        return False
    return True


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _join(cells: list[_Cell]) -> str:
    return "\n\n".join(cell.source for cell in sorted(cells, key=lambda c: c.index))


class _Finder:
    """The cells of one notebook, with the parse of each code cell computed once."""

    def __init__(self, cells: list[_Cell], spec: AssignmentSpec) -> None:
        self.cells = cells
        self.metadata = any(cell.grade_id for cell in cells)
        self._names: dict[int, frozenset[str]] = {}
        instructor_ids = {c.grade_id for c in spec.cells if c.kind == "tests"}
        instructor_sources = {_normalised(c.source) for c in spec.cells if c.kind in ("code", "tests")} - {""}
        # code cells that may hold an answer when the grade_id does not say: not the instructor's own
        self.learner_code = [
            c
            for c in cells
            if c.cell_type == "code"
            and c.grade_id not in instructor_ids
            and _normalised(c.source) not in instructor_sources
        ]

    def names(self, cell: _Cell) -> frozenset[str]:
        if cell.index not in self._names:
            self._names[cell.index] = safe_defined_names(cell.source)
        return self._names[cell.index]

    def solution(self, solution: CellSpec, notes: list[str]) -> str | None:
        grade_id, defines = solution.grade_id, solution.defines
        listed = ", ".join(defines)
        tagged = [c for c in self.cells if c.grade_id == grade_id]
        tagged_code = [c for c in tagged if c.cell_type == "code"]
        if tagged_code:
            code, note = self._from_tagged(grade_id, tagged_code, defines)
            if holds_stub(code):
                elsewhere = self._by_defines(defines, stubs=False)
                if elsewhere is not None:
                    notes.append(
                        f"解答セル {grade_id} は手つかずのままでしたが、{listed} を定義している別のセルがあったため、"
                        "そちらを採用しました (answer written in another cell)"
                    )
                    return elsewhere[0]
            if note:
                notes.append(note)
            return code
        for cell in reversed(tagged):
            code = self._as_python(cell.source, defines)
            if code is not None:
                notes.append(
                    f"解答セル {grade_id} の種類がコードから {cell.cell_type} に変わっていたため、"
                    "その中身をコードとして使いました (cell type changed)"
                )
                return code
        found = self._by_defines(defines, stubs=True)
        if tagged:
            kind = tagged[-1].cell_type
            if found is None:
                notes.append(
                    f"解答セル {grade_id} の種類がコードから {kind} に変わっていて、Python のコードとして読めません "
                    "(cell type changed; not Python)"
                )
                return None
            notes.append(
                f"解答セル {grade_id} の種類が {kind} に変わっていて Python として読めないため、"
                f"{listed} を定義しているセルを採用しました (cell type changed)"
            )
            return found[0]
        if found is None:
            what = f"{listed} を定義しているセルがありません" if defines else "名前を定義しない解答です"
            notes.append(f"解答セル {grade_id} が見つかりません ({what}) (answer cell not found)")
            return None
        code, assembled = found
        if assembled:
            notes.append(
                f"解答セル {grade_id} の名前 ({listed}) が別々のセルで定義されていたため、"
                "それらを順につなげました (found by defined names)"
            )
        elif self.metadata:
            notes.append(
                f"解答セル {grade_id} のメタデータがないため、定義されている名前 ({listed}) から特定しました "
                "(found by defined names)"
            )
        return code

    def _from_tagged(self, grade_id: str, tagged: list[_Cell], defines: tuple[str, ...]) -> tuple[str, str]:
        """Code and note from the code cells carrying the grade_id (duplicated or split)."""
        written = [c for c in tagged if not holds_stub(c.source)]
        chosen = (written or tagged)[-1]
        parts = [chosen]
        if _parses(chosen.source):
            for name in defines:
                if name in self.names(chosen):
                    continue
                earlier = [c for c in tagged if c.index < chosen.index and name in self.names(c)]
                if earlier and earlier[-1] not in parts:
                    parts.append(earlier[-1])
        if len(parts) > 1:
            note = f"解答セル {grade_id} が {len(parts)} つのセルに分かれていたため、順につなげました (split cell)"
        elif len(tagged) == 1:
            note = ""
        elif chosen is tagged[-1]:
            note = f"解答セル {grade_id} が {len(tagged)} つあったため、最後のものを採用しました (duplicated cell)"
        else:
            note = (
                f"解答セル {grade_id} が {len(tagged)} つあり、後ろのものは手つかずのままだったため、"
                "解答が書かれた最後のものを採用しました (duplicated cell)"
            )
        return _join(parts), note

    def _by_defines(self, defines: tuple[str, ...], *, stubs: bool) -> tuple[str, bool] | None:
        """(code, assembled) of the learner's code cells that define all ``defines``, or None.

        stubs=False: only cells written in (the stub found by grade_id is already known)."""
        if not defines:
            return None
        candidates = [c for c in self.learner_code if set(defines) <= self.names(c)]
        written = [c for c in candidates if not holds_stub(c.source)]
        pool = (written or candidates) if stubs else written
        if pool:
            return pool[-1].source, False
        if len(defines) == 1:
            return None
        parts: list[_Cell] = []
        for name in defines:
            defining = [c for c in self.learner_code if name in self.names(c)]
            chosen = [c for c in defining if not holds_stub(c.source)] or (defining if stubs else [])
            if not chosen:
                return None
            if chosen[-1] not in parts:
                parts.append(chosen[-1])
        return _join(parts), True

    @staticmethod
    def _as_python(text: str, defines: tuple[str, ...]) -> str | None:
        """The code in a cell whose type was changed: its text, or the code fenced in it."""
        fenced = _FENCED.findall(text)
        for code in [text] + (["\n".join(fenced)] if fenced else []):
            if not code.strip() or not _parses(code):
                continue
            if set(defines) <= safe_defined_names(code):
                return code
        return None

    def written(self, grade_id: str, notes: list[str]) -> str | None:
        tagged = [c for c in self.cells if c.grade_id == grade_id]
        if not tagged:
            if self.metadata:
                notes.append(f"記述式の解答 {grade_id} のセルが見つかりません (written answer not found)")
            else:
                notes.append(
                    f"記述式の解答 {grade_id} は nbgrader のメタデータがないため特定できません。"
                    "ノートブックを開いて手で確認してください (written answer not identified)"
                )
            return None
        candidates = [c for c in tagged if c.cell_type == "markdown"] or tagged
        written = [c for c in candidates if c.source.strip() != TEXT_STUB]
        chosen = (written or candidates)[-1]
        if chosen.cell_type != "markdown":
            notes.append(
                f"記述式の解答 {grade_id} の種類がマークダウンから {chosen.cell_type} に変わっていましたが、"
                "その中身を解答として使いました (cell type changed)"
            )
        if len(tagged) > 1:
            which = "最後のもの" if chosen is tagged[-1] else "解答が書かれた最後のもの"
            notes.append(
                f"記述式の解答 {grade_id} が {len(tagged)} つあったため、{which}を採用しました (duplicated cell)"
            )
        return chosen.source
