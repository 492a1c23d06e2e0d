"""``autograder release``: the learner bundle of some chapters, refused while it gives away open chapters' answers.

A chapter's ``[given]`` cells hold the model answers of earlier chapters' exercises (see
:mod:`autograder.answer_leaks`). Releasing a chapter is allowed only when every chapter whose
answers it gives is closed (its deadline in ``term.toml`` has passed); otherwise nothing is
written and the refusal names every answer that would leak and the deadline that must pass first.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import nbformat

from .answer_leaks import (
    CHAPTERS_DIR,
    TERM_FILE,
    Leak,
    answer_owners,
    chapter_ids,
    open_answers,
)
from .bundle import REPO_ROOT, BundleResult, build_learner_bundle
from .chapters import given_code, given_names_of, parse_cells


class ReleaseRefused(ValueError):
    """A release that would give away answers of open chapters, or name unknown chapters (Japanese message)."""

    def __init__(self, message: str, found: list[Leak] | None = None) -> None:
        super().__init__(message)
        self.leaks = found or []


def refusal_message(found: list[Leak], deadlines: dict[str, dt.datetime]) -> str:
    """Why a release is refused: each chapter's answers of open chapters and the deadlines to wait for."""
    lines = ["配布をやめました: 締め切り前の章の模範解答が、配布する章の [given] セルに入っています。"]
    for chapter in dict.fromkeys(leak.chapter for leak in found):
        for owner in dict.fromkeys(leak.owner for leak in found if leak.chapter == chapter):
            names = ", ".join(leak.name for leak in found if leak.chapter == chapter and leak.owner == owner)
            when = deadlines.get(owner)
            due = f"締め切り {when.isoformat()}" if when else "term.toml に締め切りがありません"
            lines.append(f"  - {chapter} に {owner} の解答 {names} ({due})")
    lines.append(
        "締め切りを過ぎてから配布するか、--own-code で、それらの部品を受講者自身の前の章のノートブックから"
        "読み込む形にして配布してください (term.toml の [deadlines] も確かめてください)。"
    )
    return "\n".join(lines)


def release_chapters(
    chapters: list[str],
    out_dir: Path,
    *,
    term: Path = TERM_FILE,
    now: dt.datetime | None = None,
    repo_root: Path = REPO_ROOT,
    chapters_dir: Path = CHAPTERS_DIR,
    own_code: bool = False,
) -> BundleResult:
    """Write the learner bundle of ``chapters`` into ``out_dir``, or raise :class:`ReleaseRefused`.

    ``now`` (timezone-aware, default the current time) decides which deadlines have passed.
    Nothing is written when the release is refused. With ``own_code``, a release that would give
    open chapters' answers is written instead with those answers replaced by calls that load the
    learner's own solutions from the earlier chapters' notebooks (:mod:`course.own_code`).
    """
    known = chapter_ids(chapters_dir)
    unknown = [chapter for chapter in chapters if chapter not in known]
    if unknown or not chapters:
        raise ReleaseRefused(f"知らない章です: {', '.join(unknown) or '(なし)'} (章: {', '.join(known)})")
    found, deadlines, closed = open_answers(chapters, term, now, chapters_dir)
    if found and not own_code:
        raise ReleaseRefused(refusal_message(found, deadlines), found)
    result = build_learner_bundle(out_dir, repo_root, chapters=sorted(chapters))
    for chapter in chapters:
        if any(leak.chapter == chapter for leak in found):
            _load_open_answers_from_own_code(out_dir / "release" / chapter / f"{chapter}.ipynb", chapter, closed)
    return result


def _loader_lines(open_names: dict[str, list[str]]) -> str:
    """The code that loads the answers of open chapters (owner → names) from the learner's own notebooks."""
    lines = ["from course.own_code import load_own_code", ""]
    for owner, names in open_names.items():
        lines.append(f"# {owner} は締め切り前なので、その部品は模範解答ではなく自分のノートブックから読み込みます")
        lines.append(f'load_own_code({names!r}, "../{owner}/{owner}.ipynb", globals())'.replace("'", '"'))
    return "\n".join(lines)


def _load_open_answers_from_own_code(notebook: Path, chapter: str, closed: set[str]) -> None:
    """Rewrite the ``[given]`` cells of a released notebook: the answers of open chapters are replaced by
    calls of :func:`course.own_code.load_own_code`; the markdown cell before says so."""
    owners = answer_owners()
    nb = nbformat.read(notebook, as_version=4)
    for cell in (c for c in parse_cells(*_chapter_text(chapter)) if c.kind == "given"):
        open_names: dict[str, list[str]] = {}
        for name in given_names_of(cell):
            owner = owners.get(name)
            if owner is not None and owner != chapter and owner not in closed:
                open_names.setdefault(owner, []).append(name)
        if not open_names:
            continue
        original = given_code(cell)
        index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source == original)
        kept = [name for name in given_names_of(cell) if not any(name in names for names in open_names.values())]
        nb.cells[index].source = given_code(cell, kept, before=_loader_lines(open_names))
        if index > 0 and nb.cells[index - 1].cell_type == "markdown":
            listed = "、".join(f"`{name}`" for names in open_names.values() for name in names)
            nb.cells[index - 1].source += (
                f"\n\n**この配布では**、締め切り前の章の部品 ({listed}) は模範解答の代わりに、自分の前の章の"
                "ノートブックから読み込みます (`course.own_code.load_own_code`。"
                "前の章のノートブックを、配布されたときのフォルダ構成のまま置いてください)。模範解答は締め切りの後に配布します。"
            )
    nbformat.write(nb, notebook)


def _chapter_text(chapter: str, chapters_dir: Path = CHAPTERS_DIR) -> tuple[str, str]:
    path = chapters_dir / f"{chapter}.py"
    return path.read_text(encoding="utf-8"), path.name
