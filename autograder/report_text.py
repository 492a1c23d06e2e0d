"""The text of the reports: exercise titles from the notebooks, inline Markdown made safe HTML
(or plain text for CSV), and shortening that never cuts inside a word or a character.

Everything here takes text that may come from a learner and returns it escaped: the only tags
``inline_markdown_html`` produces are ``<code>``, ``<strong>`` and ``<em>``, correctly nested.
"""

from __future__ import annotations

import html
import re
import unicodedata

from .assignment import AssignmentSpec

__all__ = [
    "OMITTED",
    "TITLE_LIMIT",
    "escape_html",
    "exercise_titles",
    "inline_markdown_html",
    "inline_markdown_text",
    "shorten",
]

#: The end of a text that was shortened (titles; messages are never shortened).
OMITTED = "…(以下省略)"
#: The longest title of an exercise, marker included.
TITLE_LIMIT = 100
#: Title suffix of the cell that grades an exercise's edge rules (``test_<exercise>_rules``).
RULES_SUFFIX = " (規則)"


def escape_html(value: object) -> str:
    """Any value as HTML text (quotes too: safe in attributes)."""
    return html.escape(str(value), quote=True)


_e = escape_html


def _inside_cluster(text: str, i: int) -> bool:
    """Would a cut before ``text[i]`` split a character from the accents or joiners that go with it?"""
    if i <= 0 or i >= len(text):
        return False
    nxt, prev = text[i], text[i - 1]
    return (
        bool(unicodedata.combining(nxt))
        or nxt in "\u200d\ufe0e\ufe0f"  # zero-width joiner, variation selectors
        or prev == "\u200d"
        or "\U0001f3fb" <= nxt <= "\U0001f3ff"  # skin tone modifiers
    )


def _inside_word(text: str, i: int) -> bool:
    """Would a cut before ``text[i]`` split an ASCII word (a letter's accents belong to it)?"""
    if i <= 0 or i >= len(text):
        return False
    j = i - 1
    while j > 0 and unicodedata.combining(text[j]):
        j -= 1
    return bool(_ASCII_WORD.match(text[j]) and _ASCII_WORD.match(text[i]))


_ASCII_WORD = re.compile(r"\w", re.ASCII)


def _boundary(text: str, cut: int) -> int:
    """The last place at or before ``cut`` where :func:`shorten` may cut ``text``."""
    while cut > 0 and _inside_cluster(text, cut):
        cut -= 1
    if _inside_word(text, cut):
        start = cut
        while start > 0 and (_inside_word(text, start) or _inside_cluster(text, start)):
            start -= 1
        if start > 0:  # else one word fills the whole budget: cut it at a character boundary
            cut = start
    return cut


def shorten(text: str, limit: int, marker: str = OMITTED) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and ``marker`` (``limit`` in all).

    The cut is at a character boundary: never between a character and the accents or joiners
    that follow it (e + ◌́, 👨 + ZWJ + 👩), never inside an ASCII word (unless one word fills
    the whole budget), and white space before the marker is dropped.
    """
    if len(text) <= limit:
        return text
    return text[: _boundary(text, max(0, limit - len(marker)))].rstrip() + marker


# --------------------------------------------------------------------------- inline Markdown

#: Spans whose content is taken literally: a backslash escape, a code span, inline math.
_LITERAL = re.compile(
    r"(?P<esc>\\[!-/:-@\[-`{-~])|(?P<code>(?P<ticks>`+)(?P<body>.+?)(?<!`)(?P=ticks)(?!`))|(?P<math>\$[^$\n]+\$)", re.S
)
_LINK = re.compile(r"!?\[([^\]\n]+)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)
#: *em*, applied after **strong**: it may hold a whole <strong>…</strong> but never half of one
_EM = re.compile(r"(?<!\*)\*(?=[^\s*])((?:[^<]|<strong>[^<]*</strong>)+?)(?<=[^\s*])\*(?!\*)", re.S)
_SLOT = re.compile("\x00(\\d+)\x00")
_OUR_TAGS = re.compile(r"</?(?:code|strong|em)>")


def inline_markdown_html(text: str) -> str:
    """A heading or title (inline Markdown) as safe HTML.

    Renders `code`, **bold**, *em*, [links](…) (their text only: the address is dropped),
    backslash escapes and $math$ (kept as written). Every character of ``text`` is escaped
    before any tag is made, and the only tags are ours: <code>, <strong>, <em>, well nested.
    """
    text = text.replace("\x00", "\ufffd")
    literal: list[str] = []

    def keep(match: re.Match) -> str:
        if match["esc"]:
            piece = _e(match["esc"][1])
        elif match["code"]:
            body = match["body"]
            if len(body) > 2 and body.startswith(" ") and body.endswith(" ") and body.strip():
                body = body[1:-1]
            piece = f"<code>{_e(body)}</code>"
        else:
            piece = _e(match["math"])
        literal.append(piece)
        return f"\x00{len(literal) - 1}\x00"

    text = _e(_LITERAL.sub(keep, text))
    text = _LINK.sub(r"\1", text)
    text = _STRONG.sub(r"<strong>\1</strong>", text)
    text = _EM.sub(r"<em>\1</em>", text)
    return _SLOT.sub(lambda m: literal[int(m[1])], text)


def inline_markdown_text(text: str) -> str:
    """A heading or title as plain text, without the Markdown marks (for CSV files): exactly the
    text that :func:`inline_markdown_html` shows."""
    return html.unescape(_OUR_TAGS.sub("", inline_markdown_html(text)))


# --------------------------------------------------------------------------- titles

#: A bold label at the start of a paragraph: **問**: / **記述問題**: / **問** (記述): / **問 2 (XOR)**:
_LABEL = re.compile(r"\*\*(?P<label>[^*\n]+?)\*\*\s*(?:[(（][^)）\n]*[)）])?\s*(?P<colon>[:：]?)\s*")
#: Labels that say "a question" and nothing more (the title is then the question's first sentence).
_GENERIC_LABEL = re.compile(r"(?:問題?|記述問題|記述|設問|質問|課題|Q)\s*[0-9０-９]*\s*[:：]?", re.I)
_SENTENCE_END = re.compile(r"[。？！]|[?!](?=\s|$)")


def _markdown_lines(source: str) -> list[str]:
    """The lines of a markdown cell outside fenced code blocks."""
    lines, fenced = [], False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _heading(line: str) -> str | None:
    """The text of an ATX heading line (``## 演習 1: …``), else None."""
    match = re.match(r"#{1,6}(?:\s+(.*?))?\s*$", line)
    if match is None:
        return None
    return re.sub(r"(?:^|\s+)#+\s*$", "", match[1] or "").strip()


def _join_lines(lines: list[str]) -> str:
    """Soft-wrapped lines as one: a space between ASCII words, nothing between Japanese ones."""
    text = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if text and re.match(r"[\x21-\x7e]", text[-1]) and re.match(r"[\x21-\x7e]", line[0]):
            text += " "
        text += line
    return text


def _question_title(question: str) -> str:
    """The title of a written question: its heading, its bold title, else its first sentence."""
    lines = _markdown_lines(question)
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if _heading(line) is not None:
            return _heading(line) or ""
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return ""
    labelled = [p for p in paragraphs if (m := _LABEL.match(p[0].strip())) and _GENERIC_LABEL.match(m["label"])]
    text = _join_lines(labelled[-1] if labelled else paragraphs[0])
    match = _LABEL.match(text)
    label = match["label"].strip().rstrip(":：").strip() if match else ""
    if match and _GENERIC_LABEL.fullmatch(label):
        text = text[match.end() :]  # 「**問**:」: the question itself follows
    elif match and (match["colon"] or match.end() == len(text)):
        return _shorten_markdown(label)  # a bold title: 「**問 2 (XOR と直線)**: …」
    end = _SENTENCE_END.search(text)
    return _shorten_markdown(text[: end.end()] if end else text)


def _shorten_markdown(text: str, limit: int = TITLE_LIMIT) -> str:
    """:func:`shorten` for Markdown: a cut that would fall inside `code`, **bold**, a link or $math$
    moves before it, so that no mark is left open."""
    if len(text) <= limit:
        return text
    spans = [m.span() for pattern in (_LITERAL, _LINK, _STRONG, _EM) for m in pattern.finditer(text)]
    cut, moved = max(0, limit - len(OMITTED)), True
    while moved:
        before = cut
        for start, end in spans:
            if start < cut < end:
                cut = start
        cut = _boundary(text, cut)
        moved = cut != before
    return text[:cut].rstrip() + OMITTED


def exercise_titles(spec: AssignmentSpec | None) -> dict[str, str]:
    """grade_id → its title, in Markdown.

    A tests cell: the heading of the notebook section it belongs to ("演習 2: 層を重ねて XOR を作る").
    When one exercise is graded in several cells, each title ends with what its cell grades: 「(規則)」
    for the exercise's edge rules (``test_<exercise>_rules``), else the grade_id without ``test_``.
    A written answer: the answer cell's own heading if it has one, else the title of its question
    (the markdown cell just before it): a heading, a bold title ("**問 2 (XOR と直線)**: …") or the
    first sentence after a label such as 「**問**:」 or 「**記述問題**:」.
    """
    titles: dict[str, str] = {}
    heading = ""
    previous_markdown = ""
    for cell in spec.cells if spec else ():
        if cell.kind == "markdown":
            for line in _markdown_lines(cell.source):
                if line.startswith("#") and _heading(line) is not None:
                    heading = _heading(line) or heading
            previous_markdown = cell.source
            continue
        if cell.kind == "tests" and cell.grade_id:
            titles[cell.grade_id] = heading
        elif cell.kind == "answer" and cell.grade_id:
            own = next((_heading(line) for line in _markdown_lines(cell.source) if _heading(line)), None)
            titles[cell.grade_id] = own or _question_title(previous_markdown) or heading
        previous_markdown = ""
    tests = [cell.grade_id for cell in spec.cells if cell.kind == "tests" and cell.grade_id] if spec else []
    shared = {title for title in (titles[g] for g in tests) if sum(titles[g] == title for g in tests) > 1}
    for grade_id in tests:
        if titles[grade_id] in shared:  # one exercise graded in several cells
            part = RULES_SUFFIX if grade_id.endswith("_rules") else f" (`{grade_id.removeprefix('test_')}`)"
            titles[grade_id] += part
    return titles
