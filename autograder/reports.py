"""What ``autograder grade`` writes into OUT: CSV files, feedback pages and the class report.

- ``grades.csv``: one row per student × assignment × graded exercise.
- ``summary.csv``: one row per student × assignment of the run, a missing submission included.
- ``feedback/<safe_name(student_id)>/<assignment>.html``: the learner's page (Japanese); the
  folder is the student id itself when it is a portable file name, else a safe encoding of it
  (:mod:`autograder.safe_names`), so that no id can break or escape the output folder.
- ``report.html``: the instructor's class report, with figures (Japanese, English terms in parentheses).

Decisions:

- Honest totals. The autograded part and the written part (answers graded by hand in
  formgrader) are shown separately everywhere. A written answer that awaits its grader is
  *pending*, never 0: the autograded percentage is over the autograded points only, and a
  total that still has pending answers says it is provisional (暫定) and claims no percentage.
- The assignments of a run are those the instructor asked for (``--assignment``), else every
  assignment anyone submitted in it. Each learner's totals are over all of them: an assignment
  without a submission is shown as missing (未提出) and counts 0 points in the overall total,
  which says so.
- Titles: a tests cell is labelled with the heading of its notebook section; a written answer
  with its own heading, else with the title of its question (the bold title, or the first
  sentence after 「**問**:」/「**記述問題**:」). Titles are Markdown: pages render the inline
  marks (`code`, **bold**, *em*, links as their text) after escaping everything; CSV files get
  the plain text.
- Messages are never cut: pages keep their line breaks and wrap long lines (CSS
  ``white-space: pre-wrap; overflow-wrap: anywhere``), CSV cells hold them whole. The one
  length cap left (titles, :func:`shorten`) cuts between characters, never inside an ASCII
  word or a character with its accents, and says so with 「…(以下省略)」.
- CSV files are UTF-8 **with BOM** (``utf-8-sig``) and CRLF line ends: Excel in a Japanese
  locale opens a BOM-less UTF-8 CSV as Shift_JIS and garbles every Japanese message;
  Python (``encoding="utf-8-sig"``), pandas and LibreOffice read the BOM transparently.
- Every text cell (``student_id``, ``assignment``, ``grade_id``, ``message``, ``title``,
  ``problems``) that a spreadsheet would evaluate as a formula gets a leading ``'`` (CSV
  injection): one starting with ``= + - @``, also after leading spaces or in their full-width
  forms ``＝ ＋ － ＠`` (LibreOffice and Excel evaluate some of these), or with a tab, CR or LF.
  The numbers the grader writes itself (``score``, ``max_score``, ``percent``…) stay numbers.
- Rows are sorted by student (natural order: s2 before s10), then assignment, then the
  order of the exercises in the notebook; a later result for the same student and
  assignment replaces an earlier one.
- Every file is written atomically (temporary file in the same folder + ``os.replace``) and
  only when its content changes, so re-running with the same results changes nothing (no
  timestamps inside, the figures included).
- Pages are self-contained (inline CSS, figures as inline SVG drawn by :mod:`autograder.report_figures`,
  so that grading never imports matplotlib; no scripts, no external assets); everything that
  came from a learner or a diagnostic is HTML-escaped. A feedback page shows only our
  ``message`` strings: never the tests' source, inputs or checking code.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import quote

from course.checks import PROPERTY_LIST_HEADING

from .assignment import AssignmentSpec, load_assignment
from .files import atomic_write
from .model import ExerciseResult, SubmissionResult
from .report_figures import FONT_FAMILY, Chart, Series, histogram, side_by_side, stacked_bars
from .report_text import OMITTED, escape_html, exercise_titles, inline_markdown_html, inline_markdown_text, shorten
from .safe_names import safe_name

_e = escape_html

__all__ = [
    "CSV_ENCODING",
    "GRADES_COLUMNS",
    "SUMMARY_COLUMNS",
    "OMITTED",
    "class_summary_markdown",
    "exercise_titles",
    "inline_markdown_html",
    "inline_markdown_text",
    "shorten",
    "write_grades_csv",
    "write_summary_csv",
    "write_feedback",
    "write_report",
    "write_outputs",
]

CSV_ENCODING = "utf-8-sig"
GRADES_COLUMNS = ("student_id", "assignment", "grade_id", "score", "max_score", "message", "part", "status", "title")
SUMMARY_COLUMNS = (
    "student_id",
    "assignment",
    "status",
    "auto_score",
    "auto_max",
    "auto_percent",
    "manual_score",
    "manual_max",
    "manual_pending",
    "score",
    "max_score",
    "percent",
    "ran",
    "problems",
)
#: How many distinct diagnostics the class report lists.
TOP_DIAGNOSTICS = 15
#: What summary.csv writes in ``problems`` for an assignment without a submission.
MISSING_TEXT = "未提出 (no submission)"


# --------------------------------------------------------------------------- helpers


def _natural_key(text: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def _result_key(result: SubmissionResult) -> tuple:
    return (_natural_key(result.student_id), result.student_id, _natural_key(result.assignment), result.assignment)


def _latest(results: Iterable[SubmissionResult]) -> list[SubmissionResult]:
    """One result per (student, assignment), the last one given, in a deterministic order."""
    by_key = {(r.student_id, r.assignment): r for r in results}
    return sorted(by_key.values(), key=_result_key)


def _students(results: list[SubmissionResult]) -> list[str]:
    return sorted({r.student_id for r in results}, key=lambda s: (_natural_key(s), s))


def _run_assignments(results: list[SubmissionResult], assignments: Iterable[str] | None) -> list[str]:
    """The assignments of the run: those asked for (and any with a result), else every one with a result."""
    found = {r.assignment for r in results} | set(assignments or ())
    return sorted(found, key=lambda a: (_natural_key(a), a))


def _number(value: float | None) -> str:
    """3.0 → "3", 2.5 → "2.5", 1/3 → "0.3333", None → ""."""
    if value is None:
        return ""
    value = round(float(value), 4)
    return str(int(value)) if value.is_integer() else repr(value)


def _percent(score: float, max_score: float) -> float | None:
    return round(100.0 * score / max_score, 1) if max_score > 0 else None


#: The start of a cell that Excel or LibreOffice may evaluate: = + - @ (also full-width, also after
#: leading white space, which LibreOffice skips), or a tab, CR or LF (OWASP "CSV injection").
_FORMULA_START = re.compile(r"\s*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\t\r\n]")


def _spreadsheet_text(text: str) -> str:
    """Text (a student id, a message…) that a spreadsheet shows as text, never evaluates as a formula."""
    return "'" + text if _FORMULA_START.match(text) else text


def _csv_bytes(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(CSV_ENCODING)


def _is_manual(exercise: ExerciseResult) -> bool:
    """A written answer, graded by hand (a result without a score always is one)."""
    return exercise.manual or exercise.score is None


def _needs_manual(result: SubmissionResult) -> bool:
    return any(e.score is None for e in result.exercises)


def _status(exercise: ExerciseResult) -> str:
    """'pending' (graded by hand, not yet), 'full', 'partial' or 'zero'."""
    if exercise.score is None:
        return "pending"
    if exercise.score >= exercise.max_score:
        return "full"
    return "zero" if exercise.score <= 0 else "partial"


def _ordered_exercises(result: SubmissionResult, spec: AssignmentSpec | None) -> list[ExerciseResult]:
    """The exercises in notebook order; a graded cell without a result counts as 0 points."""
    if spec is None:
        return list(result.exercises)
    ours = {e.grade_id: e for e in result.exercises}
    ordered = []
    for cell in spec.cells:
        if cell.kind in ("tests", "answer"):
            exercise = ours.pop(cell.grade_id, None)
            if exercise is None:
                message = "この演習の採点結果がありません。"
                exercise = ExerciseResult(cell.grade_id, 0.0, cell.points, message, cell.kind == "answer")
            ordered.append(exercise)
    return ordered + list(ours.values())


@dataclass(frozen=True)
class _Totals:
    """Points of one submission (or of a learner over several assignments), part by part."""

    auto_score: float = 0.0
    auto_max: float = 0.0
    manual_score: float = 0.0  # written answers graded so far
    manual_max: float = 0.0
    manual_graded: int = 0  # written answers with a score
    pending: int = 0  # written answers awaiting their grader
    pending_points: float = 0.0
    missing: int = 0  # assignments without a submission, counted as 0 points

    @property
    def score(self) -> float:
        return self.auto_score + self.manual_score

    @property
    def max_score(self) -> float:
        return self.auto_max + self.manual_max

    @property
    def provisional(self) -> bool:
        return self.pending > 0

    @property
    def auto_percent(self) -> float | None:
        return _percent(self.auto_score, self.auto_max)

    @property
    def percent(self) -> float | None:
        """The percentage of the total, None while written answers are pending."""
        return None if self.provisional else _percent(self.score, self.max_score)

    @property
    def status(self) -> str:
        """'missing' (no submission), 'provisional' (written answers pending) or 'final'."""
        if self.missing:
            return "missing"
        return "provisional" if self.provisional else "final"

    def __add__(self, other: _Totals) -> _Totals:
        return _Totals(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


def _exercise_totals(exercises: Iterable[ExerciseResult]) -> _Totals:
    total = _Totals()
    for e in exercises:
        if not _is_manual(e):
            total += _Totals(auto_score=float(e.score or 0.0), auto_max=float(e.max_score))
        elif e.score is None:
            total += _Totals(manual_max=float(e.max_score), pending=1, pending_points=float(e.max_score))
        else:
            total += _Totals(manual_score=float(e.score), manual_max=float(e.max_score), manual_graded=1)
    return total


def _totals(result: SubmissionResult, spec: AssignmentSpec | None) -> _Totals:
    """The points of a submission over the exercises in notebook order."""
    return _exercise_totals(_ordered_exercises(result, spec))


def _missing_totals(assignment: str, specs: dict[str, AssignmentSpec], results: list[SubmissionResult]) -> _Totals:
    """An assignment without a submission: 0 points out of the assignment's autograded and written points."""
    spec = specs.get(assignment)
    if spec is not None:
        auto = sum(c.points for c in spec.cells if c.kind == "tests")
        manual = sum(c.points for c in spec.cells if c.kind == "answer")
        return _Totals(auto_max=float(auto), manual_max=float(manual), missing=1)
    # no spec: the largest maximum any learner's result of this assignment shows
    known = [_totals(r, None) for r in results if r.assignment == assignment]
    best = max(known, key=lambda t: (t.max_score, t.auto_max), default=_Totals())
    return _Totals(auto_max=best.auto_max, manual_max=best.manual_max, missing=1)


def _check_path_component(value: str, what: str) -> str:
    """An assignment id (ours, not the learner's) as a file name; ValueError if it cannot be one."""
    if not value or value in (".", "..") or any(c in value for c in "/\\\0"):
        raise ValueError(f"{what} {value!r} cannot be used as a file name")
    return value


def _feedback_relative(student_id: str, assignment: str) -> str:
    """``<safe_name(student_id)>/<assignment>.html``: where a feedback page is, under ``feedback/``."""
    return f"{safe_name(student_id)}/{_check_path_component(assignment, 'assignment')}.html"


# --------------------------------------------------------------------------- CSV


def write_grades_csv(
    results: list[SubmissionResult], path: Path, specs: dict[str, AssignmentSpec] | None = None
) -> Path:
    """``student_id,assignment,grade_id,score,max_score,message,part,status,title``, one row per graded exercise.

    ``score`` is empty for a written answer that still has to be graded by hand; ``message``
    (the diagnostic shown to the learner, whole) is empty at full marks; ``part`` is ``auto``
    (autograded) or ``manual`` (a written answer graded by hand); ``status`` is ``full``,
    ``partial``, ``zero`` or ``pending`` (awaiting its grader); ``title`` is the exercise's title
    as plain text (no Markdown marks). With ``specs``, exercises follow the notebook order and a
    graded cell without a result is a row with 0 points (as on the feedback page and in the gradebook).
    """
    specs = specs or {}
    rows = []
    for r in _latest(results):
        spec = specs.get(r.assignment)
        titles = exercise_titles(spec)
        for e in _ordered_exercises(r, spec):
            rows.append(
                [
                    _spreadsheet_text(r.student_id),
                    _spreadsheet_text(r.assignment),
                    _spreadsheet_text(e.grade_id),
                    _number(e.score),
                    _number(e.max_score),
                    _spreadsheet_text(e.message),
                    "manual" if _is_manual(e) else "auto",
                    _status(e),
                    _spreadsheet_text(inline_markdown_text(titles.get(e.grade_id, ""))),
                ]
            )
    return atomic_write(Path(path), _csv_bytes(GRADES_COLUMNS, rows))


def _summary_row(student: str, assignment: str, totals: _Totals, result: SubmissionResult | None) -> list[str]:
    missing = result is None
    return [
        _spreadsheet_text(student),
        _spreadsheet_text(assignment),
        totals.status,
        "" if missing else _number(totals.auto_score),
        _number(totals.auto_max),
        "" if missing else _number(totals.auto_percent),
        "" if missing or (totals.pending and not totals.manual_graded) else _number(totals.manual_score),
        _number(totals.manual_max),
        "" if missing else str(totals.pending),
        "" if missing else _number(totals.score),
        _number(totals.max_score),
        "" if missing else _number(totals.percent),
        "" if missing else ("true" if result.ran else "false"),
        MISSING_TEXT if missing else _spreadsheet_text("\n".join([*result.problems, *result.instructor_notes])),
    ]


def write_summary_csv(
    results: list[SubmissionResult],
    path: Path,
    specs: dict[str, AssignmentSpec] | None = None,
    assignments: Iterable[str] | None = None,
) -> Path:
    """One row per learner × assignment of the run (see :data:`SUMMARY_COLUMNS`).

    - ``status``: ``final`` (everything graded), ``provisional`` (written answers await their
      grader: the total may still go up) or ``missing`` (no submission: 未提出).
    - ``auto_score``, ``auto_max``, ``auto_percent``: the autograded part only.
    - ``manual_score`` (points of the written answers graded so far; empty while all of them are
      pending), ``manual_max``, ``manual_pending`` (written answers awaiting their grader).
    - ``score``, ``max_score``: both parts; ``percent`` of the total, empty while provisional.
    - ``ran`` (``true``/``false``) and ``problems`` (notebook-level messages, one per line).

    A missing submission has only the maximum points and ``problems`` = 「未提出 (no submission)」.
    The learners are those with a result; the assignments are ``assignments`` and every one with
    a result. With ``specs``, maxima count every graded cell of the assignment, also those without a result.
    """
    specs = specs or {}
    results = _latest(results)
    by_key = {(r.student_id, r.assignment): r for r in results}
    rows = []
    for student in _students(results):
        for assignment in _run_assignments(results, assignments):
            result = by_key.get((student, assignment))
            if result is None:
                rows.append(_summary_row(student, assignment, _missing_totals(assignment, specs, results), None))
            else:
                rows.append(_summary_row(student, assignment, _totals(result, specs.get(assignment)), result))
    return atomic_write(Path(path), _csv_bytes(SUMMARY_COLUMNS, rows))


def class_summary_markdown(results: list[SubmissionResult], specs: dict[str, AssignmentSpec] | None = None) -> str:
    """The one-screen table of ``autograder grade``: per assignment, the autograded part and what waits."""
    specs = specs or {}
    results = _latest(results)
    lines = [
        "| 課題 | 提出数 | 自動採点の平均 | 自動採点の満点 | 記述の採点待ち (提出) | 実行できなかった提出 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for assignment in _run_assignments(results, None):
        rows = [r for r in results if r.assignment == assignment]
        totals = [_totals(r, specs.get(assignment)) for r in rows]
        mean = sum(t.auto_score for t in totals) / len(totals)
        waiting = sum(1 for t in totals if t.provisional)
        failed = sum(1 for r in rows if not r.ran)
        auto_max = max(t.auto_max for t in totals)
        lines.append(f"| {assignment} | {len(rows)} | {mean:.1f} | {auto_max:g} | {waiting} | {failed} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- HTML

_BASE_CSS = """
:root { --ok: #1a7f37; --part: #9a6700; --ng: #cf222e; --wait: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font-family: FONT_FAMILY; margin: 0 auto; max-width: 1100px; padding: 24px; color: #1f2328; line-height: 1.6; }
h1 { font-size: 1.6em; border-bottom: 2px solid var(--line); padding-bottom: .3em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid var(--line); padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-family: ui-monospace, Menlo, Consolas, monospace;
      font-size: .9em; background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px;
      padding: 8px 12px; margin: .4em 0; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; background: #f6f8fa;
       border-radius: 4px; padding: 0 .25em; }
.note { color: #57606a; font-size: .9em; }
.problems { border: 1px solid #d4a72c; background: #fff8c5; border-radius: 6px; padding: 8px 16px; }
.problems h2 { margin-top: .3em; }
.ok { color: var(--ok); } .partial { color: var(--part); } .ng { color: var(--ng); } .wait { color: var(--wait); }
.missing { color: var(--ng); font-weight: bold; }
""".replace("FONT_FAMILY", FONT_FAMILY)  # one font stack for the pages and the SVG text of the figures

_FEEDBACK_CSS = """
table.totals th { min-width: 12em; }
table.totals tr.total td, table.totals tr.total th { font-size: 1.15em; font-weight: bold; }
.exercise { border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 6px;
            padding: 6px 14px; margin: 10px 0; }
.exercise.full { border-left-color: var(--ok); } .exercise.partial { border-left-color: var(--part); }
.exercise.zero { border-left-color: var(--ng); } .exercise.pending { border-left-color: var(--wait); }
.exercise h3 { font-size: 1.05em; margin: .3em 0; display: flex; gap: .6em; align-items: baseline; }
.exercise h3 .mark { font-size: 1.2em; width: 1.2em; flex: none; }
.exercise h3 .title { min-width: 0; overflow-wrap: anywhere; }
.exercise h3 .gid { color: #57606a; font-weight: normal; font-size: .85em; overflow-wrap: anywhere; }
.exercise h3 .score { margin-left: auto; white-space: nowrap; font-variant-numeric: tabular-nums; }
.exercise p { margin: .3em 0; }
"""

_REPORT_CSS = """
figure { margin: 1em 0; } figure svg { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: #57606a; font-size: .9em; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; min-width: 150px; }
.card .v { font-size: 1.5em; font-weight: bold; }
td.msg pre { margin: 0; background: none; border: none; padding: 0; }
a { color: #0969da; }
"""

_MARKS = {"full": ("✓", "ok"), "partial": ("△", "partial"), "zero": ("✗", "ng"), "pending": ("✎", "wait")}
_PROVISIONAL = "暫定 (provisional)"


def _page(title: str, css: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_BASE_CSS}{css}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    ).encode()


def _points(score: float, max_score: float) -> str:
    return f"{_number(score)} / {_number(max_score)} 点"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{_number(value)}%"


def _feedback_totals(totals: _Totals) -> list[str]:
    """The score table of a feedback page: autograded part, written part, total (one line per row)."""
    rows = [
        '<table class="totals">',
        f'<tr><th>自動採点 (autograded)</th><td class="num">{_points(totals.auto_score, totals.auto_max)}</td>'
        f'<td class="num">{_pct(totals.auto_percent)}</td></tr>',
    ]
    if totals.manual_max > 0:
        if not totals.pending:
            written = _points(totals.manual_score, totals.manual_max)
            pct = _pct(_percent(totals.manual_score, totals.manual_max))
        else:
            waiting = f"採点待ち {totals.pending} 問 ({_number(totals.pending_points)} 点分)"
            graded = _points(totals.manual_score, totals.manual_max) + "、" if totals.manual_graded else ""
            written, pct = f'{graded}<span class="wait">{waiting}</span>', ""
        rows.append(f'<tr><th>記述問題 (written)</th><td class="num">{written}</td><td class="num">{pct}</td></tr>')
    total_pct = f'<span class="wait">{_PROVISIONAL}</span>' if totals.provisional else _pct(totals.percent)
    rows.append(
        f'<tr class="total"><th>合計 (total)</th><td class="num">{_points(totals.score, totals.max_score)}</td>'
        f'<td class="num">{total_pct}</td></tr>'
    )
    rows.append("</table>")
    return rows


def _exercise_section(exercise: ExerciseResult, title: str) -> str:
    status = _status(exercise)
    mark, css = _MARKS[status]
    if status == "pending":
        score_text = f"– / {_number(exercise.max_score)} 点"
    else:
        score_text = _points(exercise.score, exercise.max_score)
    parts = [
        f'<section class="exercise {status}">'
        f'<h3><span class="mark {css}">{mark}</span><span class="title">{inline_markdown_html(title)}</span>'
        f'<span class="gid">({_e(exercise.grade_id)})</span><span class="score">{score_text}</span></h3>'
    ]
    if status == "pending":
        parts.append('<p class="wait">採点者による採点待ち</p>')
    elif status == "full" and not exercise.message:
        parts.append('<p class="ok">すべてのテストに合格しました。</p>')
    if exercise.message:
        parts.append(f'<pre class="message">{_e(exercise.message)}</pre>')
    parts.append("</section>")
    return "\n".join(parts)


def _feedback_body(result: SubmissionResult, spec: AssignmentSpec | None) -> str:
    titles = exercise_titles(spec)
    exercises = _ordered_exercises(result, spec)
    totals = _exercise_totals(exercises)
    parts = [
        f"<h1>採点結果: {_e(result.assignment)}</h1>",
        "<table>",
        f"<tr><th>学生 ID</th><td>{_e(result.student_id)}</td></tr>",
        f"<tr><th>課題</th><td>{_e(result.assignment)}</td></tr>",
        f"<tr><th>提出ファイル</th><td>{_e(result.origin)}</td></tr>",
        "</table>",
        "<h2>得点 (score)</h2>",
        *_feedback_totals(totals),
    ]
    if totals.pending:
        parts.append(
            f'<p class="wait">記述問題 {totals.pending} 問 ({_number(totals.pending_points)} 点分) は採点者による'
            "採点を待っています。それまで合計は暫定で、採点が済むと確定します。</p>"
        )
    if not result.ran or result.problems:
        parts.append('<div class="problems"><h2>ノートブック全体についての注意</h2>')
        if not result.ran:
            parts.append("<p>ノートブックを実行できなかったため、自動採点できた演習はありません。</p>")
        if result.problems:
            parts.append("<ul>" + "".join(f"<li><pre>{_e(p)}</pre></li>" for p in result.problems) + "</ul>")
        parts.append("</div>")
    auto = [e for e in exercises if not _is_manual(e)]
    written = [e for e in exercises if _is_manual(e)]
    if auto:
        parts.append("<h2>自動採点の演習 (autograded)</h2>")
        parts.extend(_exercise_section(e, titles.get(e.grade_id) or e.grade_id) for e in auto)
    if written:
        parts.append("<h2>記述問題 (written, graded by hand)</h2>")
        parts.extend(_exercise_section(e, titles.get(e.grade_id) or e.grade_id) for e in written)
    parts.append(
        '<p class="note">✓ 満点、△ 部分点、✗ 0 点、✎ 採点待ち。メッセージは見直す箇所の手がかりです。'
        "直したらノートブックを上から順に実行し直して、もう一度提出してください。</p>"
    )
    return "\n".join(parts) + "\n"


def write_feedback(result: SubmissionResult, spec: AssignmentSpec | None, path: Path) -> Path:
    """The learner's feedback page: the autograded part, the written part and the total, then each
    exercise (autograded ones, then written ones, each in notebook order) with its mark and message."""
    body = _feedback_body(result, spec)
    return atomic_write(Path(path), _page(f"採点結果 {result.assignment} ({result.student_id})", _FEEDBACK_CSS, body))


# --------------------------------------------------------------------------- class report


@dataclass
class _ExerciseStats:
    grade_id: str
    title: str
    manual: bool
    max_score: float
    counts: Counter
    scores: list[float]


def _exercise_stats(results: list[SubmissionResult], spec: AssignmentSpec | None) -> list[_ExerciseStats]:
    titles = exercise_titles(spec)
    stats: dict[str, _ExerciseStats] = {}
    for result in results:
        for exercise in _ordered_exercises(result, spec):
            entry = stats.setdefault(
                exercise.grade_id,
                _ExerciseStats(
                    exercise.grade_id,
                    titles.get(exercise.grade_id, ""),
                    _is_manual(exercise),
                    exercise.max_score,
                    Counter(),
                    [],
                ),
            )
            entry.counts[_status(exercise)] += 1
            if exercise.score is not None:
                entry.scores.append(exercise.score)
    return list(stats.values())


def _figure(chart: Chart, label: str, caption: str) -> str:
    """A chart as an inline SVG figure (``label``: its accessible name) with its caption."""
    return f"<figure>{chart.svg(label)}<figcaption>{_e(caption)}</figcaption></figure>"


_STATUS_LABELS = [
    ("full", "満点 (full)", "#2da44e"),
    ("partial", "部分点 (partial)", "#d4a72c"),
    ("zero", "0 点 (zero)", "#cf222e"),
    ("pending", "採点待ち (manual)", "#8c959f"),
]
#: The bins of the autograded percentages: 10 bins of 10% over 0–100 (100% in the last one).
_PERCENT_EDGES = [i * 10 for i in range(11)]


def _percent_counts(percents: list[float]) -> list[int]:
    """How many percentages fall in each bin of :data:`_PERCENT_EDGES` (the last bin includes 100)."""
    counts = [0] * (len(_PERCENT_EDGES) - 1)
    for p in percents:
        counts[min(max(int(p // 10), 0), len(counts) - 1)] += 1
    return counts


def _distribution_figure(assignment: str, stats: list[_ExerciseStats], percents: list[float]) -> Chart:
    """Left: per exercise, the submissions at full, partial, zero and pending; right: the autograded percentages."""
    series = [
        Series(label, color, [s.counts[status] for s in stats])
        for status, label, color in _STATUS_LABELS
        if any(s.counts[status] for s in stats)
    ]
    left = stacked_bars(
        [s.grade_id for s in stats],
        series,
        title=f"{assignment}: 演習ごとの得点 (score per exercise)",
        x_label="提出数",
        width=620,
    )
    right = histogram(
        _percent_counts(percents),
        _PERCENT_EDGES,
        title="自動採点分の分布 (autograded score)",
        x_label="自動採点の得点率 (%)",
        y_label="人数",
        color="#0969da",
        width=420,
        height=max(240.0, left.height),
    )
    return side_by_side([left, right])


def _runs_figure(results: list[SubmissionResult], assignments: list[str]) -> Chart:
    """Per assignment, the submissions that ran and those that did not."""
    ran = [sum(1 for r in results if r.assignment == a and r.ran) for a in assignments]
    failed = [sum(1 for r in results if r.assignment == a and not r.ran) for a in assignments]
    series = [Series("実行できた (ran)", "#2da44e", ran), Series("実行できなかった (failed)", "#cf222e", failed)]
    return stacked_bars(assignments, series, title="課題ごとの提出と実行結果", x_label="提出数", width=800)


@dataclass
class _Diagnostic:
    assignment: str
    grade_id: str
    example: str  # the most frequent wording
    count: int
    variants: int  # wordings that differ only in numbers


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _cause(message: str) -> str:
    """A message without its list of properties (``course.checks.Properties``): the likely cause."""
    return message.split(PROPERTY_LIST_HEADING, 1)[0].strip()


def _frequent_diagnostics(results: list[SubmissionResult]) -> tuple[list[_Diagnostic], int]:
    """The most frequent diagnostics, messages that differ only in numbers counted together.

    Hidden checks draw fresh inputs per learner, so the same mistake can give "最大のずれは
    0.87" for one learner and "0.91" for another. A message is counted by its cause, without the
    list of the cell's properties that follows it. Returns (top list, number of kinds).
    """
    groups: dict[tuple[str, str, str], Counter] = {}
    for r in results:
        for e in r.exercises:
            cause = _cause(e.message)
            if cause:
                key = (r.assignment, e.grade_id, _NUMBER.sub("#", cause))
                groups.setdefault(key, Counter())[cause] += 1
    diagnostics = []
    for (assignment, grade_id, _), wordings in groups.items():
        example = min(wordings.items(), key=lambda item: (-item[1], item[0]))[0]
        diagnostics.append(_Diagnostic(assignment, grade_id, example, sum(wordings.values()), len(wordings)))
    diagnostics.sort(key=lambda d: (-d.count, d.assignment, d.grade_id, d.example))
    return diagnostics[:TOP_DIAGNOSTICS], len(diagnostics)


def _diagnostics_figure(top: list[_Diagnostic]) -> Chart:
    """The counts of the 10 most frequent diagnostics, labelled with their number in the table below."""
    shown = top[:10]
    labels = [f"#{i + 1} {d.assignment}/{d.grade_id}" for i, d in enumerate(shown)]
    series = [Series("件数", "#8250df", [d.count for d in shown])]
    return stacked_bars(
        labels, series, title="よくある診断メッセージ (番号は下の表)", x_label="件数", width=800, legend=False
    )


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """A table; cells are already HTML (escape them before)."""
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{h}</th>" for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _report_body(
    results: list[SubmissionResult],
    specs: dict[str, AssignmentSpec],
    discovery_summary: str,
    sandbox_note: str,
    feedback_dir: str | None,
    assignments: Iterable[str] | None = None,
) -> str:
    results = _latest(results)
    students = _students(results)
    assignments = _run_assignments(results, assignments)
    submitted = {(r.student_id, r.assignment) for r in results}
    missing = sum(1 for s in students for a in assignments if (s, a) not in submitted)
    failed = [r for r in results if not r.ran]
    pending = [r for r in results if _needs_manual(r)]
    parts = ["<h1>採点レポート (class report)</h1>"]

    parts.append("<h2>概要 (overview)</h2>")
    if not results:
        parts.append(
            "<p><strong>採点結果はありません (0 件)。</strong> 提出物が見つからなかったか、対象の課題がありません。</p>"
        )
    cards = [
        ("提出 (submissions)", len(results)),
        ("学生 (students)", len(students)),
        ("課題 (assignments)", len(assignments)),
        ("未提出 (missing)", missing),
        ("実行できなかった提出", len(failed)),
        ("記述の採点待ち (pending)", len(pending)),
    ]
    parts.append(
        '<div class="cards">'
        + "".join(f'<div class="card"><div>{_e(k)}</div><div class="v">{v}</div></div>' for k, v in cards)
        + "</div>"
    )
    if results:
        parts.append(
            _figure(
                _runs_figure(results, assignments),
                "課題ごとの提出と実行結果",
                "課題ごとの提出数と、実行できなかった提出の数。",
            )
        )

    parts.append("<h2>提出物の検出 (discovery)</h2>")
    parts.append(f"<pre>{_e(discovery_summary or '(なし)')}</pre>")
    parts.append("<h2>実行環境の隔離 (sandbox)</h2>")
    parts.append(f"<pre>{_e(sandbox_note or '(記録なし)')}</pre>")
    sandboxes = Counter(r.sandbox or "(不明)" for r in results)
    if sandboxes:
        rows = [[_e(name), str(count)] for name, count in sorted(sandboxes.items())]
        parts.append(_table(["隔離の方式", "提出数"], rows, {1}))

    if results:
        parts.append("<h2>演習ごとの得点分布 (score distribution)</h2>")
        for assignment in assignments:
            subset = [r for r in results if r.assignment == assignment]
            spec = specs.get(assignment)
            stats = _exercise_stats(subset, spec)
            percents = [min(_totals(r, spec).auto_percent or 0.0, 100.0) for r in subset]
            parts.append(f"<h3>{_e(assignment)} ({len(subset)} 件)</h3>")
            if not subset:
                parts.append("<p>この課題の提出はありません (no submissions)。</p>")
            if stats:
                parts.append(
                    _figure(
                        _distribution_figure(assignment, stats, percents),
                        f"{assignment} の得点分布",
                        "左: 演習ごとの満点・部分点・0 点・採点待ちの提出数。"
                        "右: 自動採点分の得点率の分布 (記述問題は含めない)。",
                    )
                )
                rows = []
                for s in stats:
                    mean = _number(sum(s.scores) / len(s.scores)) if s.scores else ""
                    rows.append(
                        [_e(s.grade_id), "記述" if s.manual else "自動", inline_markdown_html(s.title)]
                        + [_number(s.max_score)]
                        + [str(s.counts[k]) for k, _, _ in _STATUS_LABELS]
                        + [mean]
                    )
                parts.append(
                    _table(
                        ["grade_id", "種類", "演習", "配点", "満点", "部分点", "0 点", "採点待ち", "平均点"],
                        rows,
                        {3, 4, 5, 6, 7, 8},
                    )
                )
                parts.append(
                    '<p class="note">種類: 自動 = 自動採点 (autograded)、記述 = 採点者が formgrader で採点する記述問題'
                    " (平均点は採点済みの提出だけ)。</p>"
                )

        parts.append("<h2>よくある診断メッセージ (most frequent diagnostics)</h2>")
        top, kinds = _frequent_diagnostics(results)
        if top:
            parts.append(
                _figure(_diagnostics_figure(top), "よくある診断メッセージ", "件数の多い診断メッセージ (上位 10 件)。")
            )
            rows = []
            for i, d in enumerate(top):
                variants = (
                    f'<p class="note">数値だけが違うもの {d.variants} 通りをまとめています。</p>'
                    if d.variants > 1
                    else ""
                )
                rows.append(
                    [
                        str(i + 1),
                        str(d.count),
                        _e(d.assignment),
                        _e(d.grade_id),
                        f"<pre>{_e(d.example)}</pre>{variants}",
                    ]
                )
            table = _table(["#", "件数", "課題", "grade_id", "メッセージ (message, 例)"], rows, {0, 1})
            parts.append(table.replace("<td><pre>", '<td class="msg"><pre>'))
            if kinds > len(top):
                parts.append(
                    f'<p class="note">ほかに {kinds - len(top)} 種類のメッセージがあります (grades.csv を参照)。</p>'
                )
        else:
            parts.append("<p>診断メッセージはありません (自動採点の演習に指摘はありません)。</p>")

        parts.extend(_failed_properties_section(results))
        parts.extend(_hints_section(results, assignments))

        parts.append("<h2>実行できなかった提出 (failed to run)</h2>")
        if failed:
            rows = [
                [
                    _e(r.student_id),
                    _e(r.assignment),
                    _e(r.origin),
                    "<pre>" + _e("\n".join(r.problems) or "(理由の記録なし)") + "</pre>",
                ]
                for r in failed
            ]
            parts.append(_table(["学生", "課題", "ファイル", "問題 (problem)"], rows))
        else:
            parts.append("<p>ありません。</p>")
        noted = [r for r in results if r.ran and (r.problems or r.instructor_notes)]
        if noted:
            parts.append("<h3>実行はできたが注意のある提出 (notebook problems)</h3>")
            parts.append(
                "<p>講師のセルのエラーは学生には見せず、ここにだけ示します (結果は各演習の採点に表れます)。</p>"
            )
            rows = [
                [
                    _e(r.student_id),
                    _e(r.assignment),
                    "<pre>" + _e("\n".join([*r.problems, *r.instructor_notes])) + "</pre>",
                ]
                for r in noted
            ]
            parts.append(_table(["学生", "課題", "問題 (problem)"], rows))

        parts.append("<h2>学生ごとの合計 (totals)</h2>")
        parts.append(_totals_table(results, specs, students, assignments, feedback_dir))
    return "\n".join(parts) + "\n"


def _failed_properties_section(results: list[SubmissionResult]) -> list[str]:
    """Per graded cell whose check lists its properties, how many submissions failed each property
    (✗) and how many could not have it checked (–, a property it needs failed)."""
    counts: dict[tuple[str, str, str], Counter[str]] = {}
    order: dict[tuple[str, str, str], int] = {}
    for r in results:
        for e in r.exercises:
            for position, (name, verdict) in enumerate(e.properties.items()):
                key = (r.assignment, e.grade_id, name)
                counts.setdefault(key, Counter())[verdict] += 1
                order.setdefault(key, position)
    parts = ["<h2>不合格の多い性質 (failed properties)</h2>"]
    failing = [(key, c) for key, c in counts.items() if c["fail"]]
    if not failing:
        parts.append("<p>性質ごとに採点されたセルで、不合格の性質はありません。</p>")
        return parts
    parts.append(
        '<p class="note">性質ごとに確かめる演習で、どの性質が不合格 (✗) だったか、前提の性質が不合格で確かめられな'
        "かった (–) かの件数です。同じセルの中で ✗ の多い性質が、説明や例を補う候補です。</p>"
    )
    failing.sort(key=lambda item: (-item[1]["fail"], item[0][0], item[0][1], order[item[0]]))
    rows = [
        [_e(assignment), _e(grade_id), _e(name), str(c["fail"]), str(c["skip"]), str(c["pass"])]
        for (assignment, grade_id, name), c in failing[:TOP_DIAGNOSTICS]
    ]
    parts.append(_table(["課題", "grade_id", "性質", "✗ 不合格", "– 未確認", "✓ 合格"], rows, {3, 4, 5}))
    if len(failing) > TOP_DIAGNOSTICS:
        parts.append(f'<p class="note">ほかに {len(failing) - TOP_DIAGNOSTICS} 個の性質が不合格になっています。</p>')
    return parts


def _hints_section(results: list[SubmissionResult], assignments: list[str]) -> list[str]:
    """Per assignment, how many submissions showed each exercise's hints up to step 1, 2, 3."""
    parts = ["<h2>使われたヒント (hints used)</h2>"]
    parts.append(
        '<p class="note">学生がノートブックで <code>hint("…")</code> を実行し、その出力が提出物に残っているもの'
        "の集計です (出力を消した提出では数えられません)。成績には使いません。"
        "どの演習で説明や例を補うべきかの目安にしてください。</p>"
    )
    shown = False
    for assignment in assignments:
        subset = [r for r in results if r.assignment == assignment]
        steps: dict[str, Counter[int]] = {}
        for result in subset:
            for name, step in result.hints.items():
                steps.setdefault(name, Counter())[step] += 1
        if not steps:
            continue
        shown = True
        rows = []
        for name, counter in sorted(steps.items(), key=lambda item: (-sum(item[1].values()), item[0])):
            reached = [sum(n for s, n in counter.items() if s >= k) for k in (1, 2, 3)]
            rows.append([f"<code>{_e(name)}</code>", *map(str, reached), f"{sum(counter.values())} / {len(subset)}"])
        parts.append(f"<h3>{_e(assignment)}</h3>")
        header = ["演習", "ヒント 1 以上", "ヒント 2 以上", "ヒント 3", "使った提出 / 提出"]
        parts.append(_table(header, rows, {1, 2, 3}))
    if not shown:
        parts.append("<p>記録されたヒントの利用はありません。</p>")
    return parts


def _assignment_cell(result: SubmissionResult | None, totals: _Totals, student: str, feedback_dir: str | None) -> str:
    """One assignment of one learner in the totals table: the autograded part (linked to the
    feedback page), then the written part; or 未提出."""
    if result is None:
        points = f' <span class="note">(0 / {_number(totals.max_score)})</span>' if totals.max_score else ""
        return f'<span class="missing">未提出</span>{points}'
    text = f"{_number(totals.auto_score)} / {_number(totals.auto_max)}"
    if feedback_dir is not None:
        href = f"{feedback_dir}/{quote(_feedback_relative(student, result.assignment))}"
        text = f'<a href="{_e(href)}">{text}</a>'
    if not result.ran:
        text += ' <span class="ng" title="実行できなかった">✗</span>'
    if totals.pending:
        text += f'<br><span class="wait">✎ 記述 採点待ち ({_number(totals.pending_points)} 点分)</span>'
    elif totals.manual_max > 0:
        text += f"<br>記述 {_number(totals.manual_score)} / {_number(totals.manual_max)}"
    return text


def _learner_total_cells(total: _Totals) -> list[str]:
    """The autograded, written and overall totals of one learner over every assignment of the run."""
    auto = f"{_number(total.auto_score)} / {_number(total.auto_max)}"
    if total.auto_percent is not None:
        auto += f" ({_number(total.auto_percent)}%)"
    if total.manual_max <= 0:
        written = "–"
    else:
        written = f"{_number(total.manual_score)} / {_number(total.manual_max)}"
        if total.pending:
            written += f'<br><span class="wait">採点待ち {_number(total.pending_points)} 点分</span>'
    overall = f"{_number(total.score)} / {_number(total.max_score)}"
    if total.provisional:
        overall += f'<br><span class="wait">{_PROVISIONAL}: 記述の採点待ちあり</span>'
    elif total.percent is not None:
        overall += f" ({_number(total.percent)}%)"
    if total.missing:
        overall += f'<br><span class="missing">未提出 {total.missing} 件を 0 点として計算</span>'
    return [auto, written, overall]


def _totals_table(
    results: list[SubmissionResult],
    specs: dict[str, AssignmentSpec],
    students: list[str],
    assignments: list[str],
    feedback_dir: str | None,
) -> str:
    by_key = {(r.student_id, r.assignment): r for r in results}
    missing = {a: _missing_totals(a, specs, results) for a in assignments}
    rows = []
    for student in students:
        row = [_e(student)]
        overall = _Totals()
        for assignment in assignments:
            result = by_key.get((student, assignment))
            totals = missing[assignment] if result is None else _totals(result, specs.get(assignment))
            overall += totals
            row.append(_assignment_cell(result, totals, student, feedback_dir))
        rows.append(row + _learner_total_cells(overall))
    header = ["学生 (student)", *map(_e, assignments), "自動採点 (autograded)", "記述 (written)", "合計 (total)"]
    table = _table(header, rows, set(range(1, len(assignments) + 4)))
    note = (
        '<p class="note">課題の欄: 自動採点の点 / 配点 (リンクは各学生のフィードバックページ) と、記述問題の点。'
        "✗ 実行できなかった提出、✎ 記述の採点待ち (formgrader で採点)。合計は、今回の採点の全課題 "
        f"({len(assignments)} 件: --assignment で指定したもの、なければ誰かが提出したもの) についてで、"
        "未提出の課題は 0 点として数えます。記述の採点待ちがあるうちは合計は暫定で、得点率を出しません。</p>"
    )
    return table + "\n" + note


def write_report(
    results: list[SubmissionResult],
    specs: dict[str, AssignmentSpec],
    discovery_summary: str,
    path: Path,
    sandbox_note: str,
    feedback_dir: str | None = "feedback",
    assignments: Iterable[str] | None = None,
) -> Path:
    """The class report: figures, frequent diagnostics, failed runs, totals, discovery and sandbox notes.

    ``feedback_dir``: where the feedback pages are, relative to the report (links from the
    totals table); None for no links. ``assignments``: the assignments of the run (the learners'
    totals cover them all, a missing submission counting 0); None for those with a result.
    """
    body = _report_body(list(results), specs, discovery_summary, sandbox_note, feedback_dir, assignments)
    return atomic_write(Path(path), _page("採点レポート (class report)", _REPORT_CSS, body))


def feedback_path(out_dir: Path, result: SubmissionResult) -> Path:
    """``out_dir/feedback/<safe_name(student_id)>/<assignment>.html``, for any student id."""
    return Path(out_dir) / "feedback" / _feedback_relative(result.student_id, result.assignment)


def write_outputs(
    out_dir: Path,
    results: list[SubmissionResult],
    specs: dict[str, AssignmentSpec],
    discovery_summary: str,
    sandbox_note: str,
    assignments: Iterable[str] | None = None,
) -> dict[str, Path]:
    """Write everything into ``out_dir``; returns {path relative to out_dir (posix): path}.

    ``assignments``: the assignments of the run (``--assignment``), over which summary.csv and
    the report total each learner; None for every assignment with a result.
    """
    out_dir = Path(out_dir)
    results = _latest(results)
    specs = dict(specs)
    for assignment in assignments or ():  # an assignment nobody submitted still has its points
        if assignment not in specs:
            try:
                specs[assignment] = load_assignment(assignment)
            except FileNotFoundError:
                pass
    pages = {(r.student_id, r.assignment): feedback_path(out_dir, r) for r in results}  # validates the names first
    written = {
        "grades.csv": write_grades_csv(results, out_dir / "grades.csv", specs),
        "summary.csv": write_summary_csv(results, out_dir / "summary.csv", specs, assignments),
    }
    for result in results:
        path = write_feedback(result, specs.get(result.assignment), pages[(result.student_id, result.assignment)])
        written[path.relative_to(out_dir).as_posix()] = path
    written["report.html"] = write_report(
        results, specs, discovery_summary, out_dir / "report.html", sandbox_note, assignments=assignments
    )
    return written
