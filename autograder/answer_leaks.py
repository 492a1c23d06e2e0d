"""Which model answers each chapter's ``[given]`` cells hold, and which of them a release may carry.

A chapter source (``chapters/<id>.py``) marks its exercises with ``# @reference NAME`` lines in
its solution cells and gives earlier chapters' parts in ``# %% [given] names=…`` cells, whose
code is the reference source itself. So the ``[given]`` cells of ch06 hold the model answers of
ch05's ``TwoLayerNet`` and ``SoftmaxWithLoss``, and a learner who receives ch06 before ch05's
deadline receives those answers. This module reads both kinds of lines (no notebook is built)
and answers: which exercise's answer does a given name carry, and which chapters may be released
while some chapters are still open.

``term.toml`` (repository root) holds the deadlines; a chapter is *closed* once its deadline has
passed, and only a closed chapter's answers may be given. ``autograder release`` refuses any
chapter that would give an open chapter's answer and names what would leak.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .chapters import given_names_of, parse_cells

REPO_ROOT = Path(__file__).resolve().parent.parent
CHAPTERS_DIR = REPO_ROOT / "chapters"
TERM_FILE = REPO_ROOT / "term.toml"


class TermError(ValueError):
    """A term file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Leak:
    """A model answer that a chapter's ``[given]`` cells hold: ``name`` solves an exercise of ``owner``."""

    chapter: str  # the chapter whose [given] cell holds the code
    name: str  # the reference object given, e.g. "TwoLayerNet"
    owner: str  # the chapter whose exercise it solves, e.g. "ch05_softmax_training"


def _chapter_cells(chapter: str, chapters_dir: Path):
    path = chapters_dir / f"{chapter}.py"
    return parse_cells(path.read_text(encoding="utf-8"), path.name)


def chapter_ids(chapters_dir: Path = CHAPTERS_DIR) -> list[str]:
    """Every chapter, in course order (``ch01_…`` … ``ch10_…``)."""
    return sorted(p.stem for p in chapters_dir.glob("ch*.py"))


def answer_owners(chapters_dir: Path = CHAPTERS_DIR) -> dict[str, str]:
    """Top-level reference name → the chapter with an exercise whose solution it is.

    ``# @reference TwoLayerNet.gradient`` makes ``TwoLayerNet`` an answer of that chapter: giving
    the class gives the method. A name solved in two chapters belongs to the first.
    """
    owners: dict[str, str] = {}
    for chapter in chapter_ids(chapters_dir):
        for cell in _chapter_cells(chapter, chapters_dir):
            if cell.kind != "solution":
                continue
            for line in cell.lines:
                text = line.strip()
                if text.startswith("# @reference "):
                    owners.setdefault(text.removeprefix("# @reference ").split(".")[0], chapter)
    return owners


def given_names(chapter: str, chapters_dir: Path = CHAPTERS_DIR) -> list[str]:
    """The reference names that the chapter's ``[given]`` cells hold, in order."""
    names = []
    for cell in _chapter_cells(chapter, chapters_dir):
        if cell.kind == "given":
            names += given_names_of(cell)
    return names


def given_answers(chapter: str, chapters_dir: Path = CHAPTERS_DIR, owners: dict[str, str] | None = None) -> list[Leak]:
    """Every model answer of another chapter that this chapter's ``[given]`` cells hold.

    Helpers that solve no exercise (``networks._accuracy``, a module-qualified name) are not answers.
    ``owners``: :func:`answer_owners`, when the caller has it already.
    """
    owners = owners if owners is not None else answer_owners(chapters_dir)
    return [
        Leak(chapter, name, owners[name])
        for name in given_names(chapter, chapters_dir)
        if name in owners and owners[name] != chapter
    ]


def leaks(chapters: list[str], closed: set[str], chapters_dir: Path = CHAPTERS_DIR) -> list[Leak]:
    """The answers of open chapters (not in ``closed``) that releasing ``chapters`` would give away."""
    owners = answer_owners(chapters_dir)  # read once for all the chapters
    found = [leak for chapter in chapters for leak in given_answers(chapter, chapters_dir, owners)]
    return [leak for leak in found if leak.owner not in closed]


def read_deadlines(path: Path = TERM_FILE, chapters_dir: Path = CHAPTERS_DIR) -> dict[str, dt.datetime]:
    """The ``[deadlines]`` table of a term file: chapter → deadline (timezone-aware).

    A missing file means no deadline yet (nothing is closed). Unknown chapters, dates without a
    time or a UTC offset are errors: a deadline must say when, and where.
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise TermError(f"{path}: not valid TOML ({error})") from None
    deadlines = table.get("deadlines", {})
    if not isinstance(deadlines, dict):
        raise TermError(f"{path}: [deadlines] must be a table of chapter = date-time")
    known = set(chapter_ids(chapters_dir))
    found: dict[str, dt.datetime] = {}
    for chapter, when in deadlines.items():
        if chapter not in known:
            raise TermError(f"{path}: unknown chapter {chapter!r} in [deadlines] (known: {', '.join(sorted(known))})")
        if not isinstance(when, dt.datetime) or when.tzinfo is None:
            raise TermError(
                f"{path}: the deadline of {chapter} must be a date-time with its UTC offset, "
                f"e.g. 2027-01-15T23:59:00+09:00 (got {when!r})"
            )
        found[chapter] = when
    return found


def closed_chapters(deadlines: dict[str, dt.datetime], now: dt.datetime) -> set[str]:
    """The chapters whose deadline is at or before ``now`` (timezone-aware)."""
    return {chapter for chapter, when in deadlines.items() if when <= now}


def open_answers(
    chapters: list[str], term: Path = TERM_FILE, now: dt.datetime | None = None, chapters_dir: Path = CHAPTERS_DIR
) -> tuple[list[Leak], dict[str, dt.datetime], set[str]]:
    """(the answers of open chapters that ``chapters`` would give, the deadlines, the closed chapters), with
    the deadlines of ``term`` judged at ``now`` (timezone-aware; default the current time)."""
    deadlines = read_deadlines(term, chapters_dir)
    closed = closed_chapters(deadlines, now or dt.datetime.now(dt.UTC))
    return leaks(chapters, closed, chapters_dir), deadlines, closed
