"""The glossary (``glossary.toml``): one term per concept, introduced once with its English, no variants.

Each term is introduced in the chapter the glossary names, as ``ja (en…`` or ``en (ja…`` (the English
term in parentheses on first use), and no variant the glossary bans appears in what learners read
(:func:`test_wording.learner_facing_sources` and the hidden checks' messages). A failure lists every hit
as file:line.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from test_wording import find_phrase, learner_facing_sources

from autograder.build import REPO_ROOT, assignment_ids

GLOSSARY = tomllib.loads((REPO_ROOT / "glossary.toml").read_text(encoding="utf-8"))
TERMS = GLOSSARY["term"]
BANNED = [(variant, term["ja"], f"not-{term['en']}") for term in TERMS for variant in term.get("banned", [])] + [
    (rule["pattern"], rule["use"], f"rule-{i}") for i, rule in enumerate(GLOSSARY.get("rule", []))
]


def hits(pattern: str, paths: list) -> list[str]:
    return find_phrase(pattern, paths, regex=True)


def introduces(text: str, ja: str, en: str) -> bool:
    """``ja (en…`` or ``en (ja…`` (English case-insensitive; 、 or , may separate other words inside)."""
    return bool(
        re.search(rf"{re.escape(ja)}\s*\((?:[^()]*[、,]\s*)?{re.escape(en)}", text, re.IGNORECASE)
        or re.search(rf"{re.escape(en)}\s*\((?:[^()]*[、,]\s*)?{re.escape(ja)}", text, re.IGNORECASE)
    )


def test_the_glossary_is_well_formed():
    chapters = set(assignment_ids())
    seen = set()
    for term in TERMS:
        assert {"ja", "en", "chapter"} <= set(term), term
        assert term["chapter"] in chapters, f"{term['ja']}: unknown chapter {term['chapter']}"
        assert (term["ja"], term["en"]) not in seen, f"{term['ja']} is listed twice"
        seen.add((term["ja"], term["en"]))
        for variant in term.get("banned", []):
            assert not re.search(variant, term["ja"]), f"{term['ja']} bans itself ({variant})"


def test_introduces_and_hits_find_what_they_should(tmp_path):
    assert introduces("誤差逆伝播法 (backpropagation) を使う", "誤差逆伝播法", "backpropagation")
    assert introduces("Momentum (モーメンタム、運動量) は", "モーメンタム", "Momentum")
    text = "交差エントロピー誤差 (クロスエントロピー、cross-entropy error)"
    assert introduces(text, "交差エントロピー誤差", "cross-entropy error")
    assert not introduces("誤差逆伝播法を使う (backpropagation)", "誤差逆伝播法", "backpropagation")
    source = REPO_ROOT / "chapters" / "ch01_activation.py"
    assert hits("パーセプトロン", [source]) and not hits("第\\d+章", [REPO_ROOT / "glossary.toml"])


@pytest.mark.parametrize("term", TERMS, ids=[f"{t['en']}@{t['chapter'][:4]}" for t in TERMS])
def test_each_term_is_introduced_with_its_english_in_its_chapter(term):
    text = (REPO_ROOT / "chapters" / f"{term['chapter']}.py").read_text(encoding="utf-8")
    assert introduces(text, term["ja"], term["en"]), (
        f"{term['chapter']} should introduce 「{term['ja']}」 as 「{term['ja']} ({term['en']})」 on first use"
    )


def learner_visible() -> list:
    """The learner-facing sources, and the hidden checks (their messages are the learners' feedback)."""
    return learner_facing_sources() + sorted((REPO_ROOT / "course" / "hidden").rglob("*.py"))


@pytest.mark.parametrize(("pattern", "use"), [b[:2] for b in BANNED], ids=[b[2] for b in BANNED])
def test_no_banned_variant_in_learner_facing_sources(pattern, use):
    found = hits(pattern, learner_visible())
    assert not found, f"「{pattern}」 is banned by glossary.toml (use 「{use}」):\n" + "\n".join(found)
