"""The course glossary (``glossary.toml`` at the repository root), rendered for learners as ``glossary.md``.

``tests/notebooks/test_glossary.py`` holds the chapters to it; :func:`autograder.bundle.build_learner_bundle`
writes the rendered table next to the notebooks.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

GLOSSARY_PATH = Path(__file__).resolve().parent.parent / "glossary.toml"


def read_glossary(path: Path = GLOSSARY_PATH) -> list[dict]:
    """The terms of ``path``, each a dict with ``ja``, ``en``, ``chapter`` and optionally ``banned``, ``note``."""
    return tomllib.loads(path.read_text(encoding="utf-8"))["term"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def glossary_markdown(terms: list[dict], chapters: list[str] | None = None) -> str:
    """A Markdown page: one row per term (of ``chapters`` only, when given), in the order of the chapters."""
    rows = [t for t in terms if chapters is None or t["chapter"] in chapters]
    rows.sort(key=lambda t: t["chapter"])  # stable: the glossary's own order inside a chapter
    lines = [
        "# 用語集 (glossary)",
        "",
        "講座で使う用語です。1 つの概念には 1 つの用語を使い、初めて出てくる章で英語を括弧で添えています。",
        "「使わない言い方」は、ほかの本や資料で見かける別の言い方で、この講座では使いません。",
        "",
        "| 用語 | English | 初出 | 使わない言い方 | 使い方 |",
        "|---|---|---|---|---|",
    ]
    for term in rows:
        banned = "、".join(v for v in term.get("banned", []) if re.escape(v) == v)  # plain words, not patterns
        lines.append(
            f"| {_cell(term['ja'])} | {_cell(term['en'])} | {_cell(term['chapter'])} | {_cell(banned)} "
            f"| {_cell(term.get('note', ''))} |"
        )
    return "\n".join(lines) + "\n"
