"""Which sources learners read, and how a banned phrase is found in them (file:line).

Learner-facing sources are the chapters (``chapters/*.py``, from which every notebook is built) and the
learner part of ``course/`` (``course/*.py``, ``course/properties`` and ``course/hints``; ``course/reference`` and
``course/hidden`` are instructor-only). The banned words and phrases themselves are listed once, in
``glossary.toml`` (term variants and ``[[rule]]`` patterns), and checked by ``test_glossary.py``.
"""

import re
from pathlib import Path

from autograder.build import REPO_ROOT


def learner_facing_sources(root: Path = REPO_ROOT) -> list[Path]:
    """The chapter sources and the learner part of ``course/``: its top level, ``properties`` and ``hints``."""
    course = sorted((root / "course").glob("*.py"))
    course += sorted((root / "course" / "properties").glob("*.py")) + sorted((root / "course" / "hints").glob("*.py"))
    return sorted((root / "chapters").glob("*.py")) + course


def find_phrase(phrase: str, paths: list[Path], root: Path = REPO_ROOT, regex: bool = False) -> list[str]:
    """Every line of ``paths`` that contains ``phrase`` (case-insensitive; a regular expression when ``regex``),
    as ``file:line: text``."""
    pattern = re.compile(phrase if regex else re.escape(phrase), re.IGNORECASE)
    hits = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return hits


def test_sources_cover_chapters_and_learner_course_only():
    paths = [path.relative_to(REPO_ROOT).as_posix() for path in learner_facing_sources()]
    assert any(p.startswith("chapters/") for p in paths), "no chapter sources found"
    assert "course/checks.py" in paths
    assert not any(p.startswith(("course/reference/", "course/hidden/")) for p in paths)


def test_find_phrase_reports_file_and_line(tmp_path):
    (tmp_path / "chapters").mkdir()
    source = tmp_path / "chapters" / "ch00_demo.py"
    source.write_text("# 1 行目\n# ここに講義資料とある\nx = 1\n", encoding="utf-8")
    assert find_phrase("講義資料", [source], root=tmp_path) == ["chapters/ch00_demo.py:2: # ここに講義資料とある"]
    assert find_phrase("よくある誤記", [source], root=tmp_path) == []
