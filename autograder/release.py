"""``autograder release``: the learner bundle of some chapters, refused while it gives away open chapters' answers.

A chapter's ``[given]`` cells hold the model answers of earlier chapters' exercises (see
:mod:`autograder.answer_leaks`). Releasing a chapter is allowed only when every chapter whose
answers it gives is closed (its deadline in ``term.toml`` has passed); otherwise nothing is
written and the refusal names every answer that would leak and the deadline that must pass first.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .answer_leaks import (
    CHAPTERS_DIR,
    TERM_FILE,
    Leak,
    chapter_ids,
    closed_chapters,
    leaks,
    read_deadlines,
)
from .bundle import REPO_ROOT, BundleResult, build_learner_bundle


class ReleaseRefused(ValueError):
    """A release that would give away answers of open chapters, or name unknown chapters (Japanese message)."""

    def __init__(self, message: str, found: list[Leak] | None = None) -> None:
        super().__init__(message)
        self.leaks = found or []


def _refusal(found: list[Leak], deadlines: dict[str, dt.datetime]) -> str:
    lines = ["配布をやめました: 締め切り前の章の模範解答が、配布する章の [given] セルに入っています。"]
    for chapter in dict.fromkeys(leak.chapter for leak in found):
        for owner in dict.fromkeys(leak.owner for leak in found if leak.chapter == chapter):
            names = ", ".join(leak.name for leak in found if leak.chapter == chapter and leak.owner == owner)
            when = deadlines.get(owner)
            due = f"締め切り {when.isoformat()}" if when else "term.toml に締め切りがありません"
            lines.append(f"  - {chapter} に {owner} の解答 {names} ({due})")
    lines.append("締め切りを過ぎてから配布するか、term.toml の [deadlines] を確かめてください。")
    return "\n".join(lines)


def release_chapters(
    chapters: list[str],
    out_dir: Path,
    *,
    term: Path = TERM_FILE,
    now: dt.datetime | None = None,
    repo_root: Path = REPO_ROOT,
    chapters_dir: Path = CHAPTERS_DIR,
) -> BundleResult:
    """Write the learner bundle of ``chapters`` into ``out_dir``, or raise :class:`ReleaseRefused`.

    ``now`` (timezone-aware, default the current time) decides which deadlines have passed.
    Nothing is written when the release is refused.
    """
    known = chapter_ids(chapters_dir)
    unknown = [chapter for chapter in chapters if chapter not in known]
    if unknown or not chapters:
        raise ReleaseRefused(f"知らない章です: {', '.join(unknown) or '(なし)'} (章: {', '.join(known)})")
    deadlines = read_deadlines(term, chapters_dir)
    closed = closed_chapters(deadlines, now or dt.datetime.now(dt.UTC))
    found = leaks(chapters, closed, chapters_dir)
    if found:
        raise ReleaseRefused(_refusal(found, deadlines), found)
    return build_learner_bundle(out_dir, repo_root, chapters=sorted(chapters))
