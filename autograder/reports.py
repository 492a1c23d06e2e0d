"""What ``autograder grade`` writes into OUT: CSV files, feedback pages and the class report.

- ``grades.csv``: one row per student × assignment × graded exercise.
- ``summary.csv``: one row per student × assignment.
- ``feedback/<safe_name(student_id)>/<assignment>.html``: the learner's page (Japanese); the
  folder is the student id itself when it is a portable file name, else a safe encoding of it
  (:mod:`autograder.safe_names`), so that no id can break or escape the output folder.
- ``report.html``: the instructor's class report, with figures (Japanese, English terms in parentheses).

Decisions:

- CSV files are UTF-8 **with BOM** (``utf-8-sig``) and CRLF line ends: Excel in a Japanese
  locale opens a BOM-less UTF-8 CSV as Shift_JIS and garbles every Japanese message;
  Python (``encoding="utf-8-sig"``), pandas and LibreOffice read the BOM transparently.
- Every text cell (``student_id``, ``assignment``, ``grade_id``, ``message``, ``problems``)
  that a spreadsheet would evaluate as a formula gets a leading ``'`` (CSV injection): one
  starting with ``= + - @``, also after leading spaces or in their full-width forms
  ``＝ ＋ － ＠`` (LibreOffice and Excel evaluate some of these), or with a tab, CR or LF.
  The numbers the grader writes itself (``score``, ``max_score``, ``percent``) stay numbers.
- Rows are sorted by student (natural order: s2 before s10), then assignment, then the
  order of the exercises in the notebook; a later result for the same student and
  assignment replaces an earlier one.
- Every file is written atomically (temporary file in the same folder + ``os.replace``) and
  only when its content changes, so re-running with the same results changes nothing (no
  timestamps inside: the PNG figures carry no date either).
- Pages are self-contained (inline CSS, figures as base64 PNG, no scripts, no external
  assets); everything that came from a learner or a diagnostic is HTML-escaped. A feedback
  page shows only our ``message`` strings: never the tests' source, inputs or checking code.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .assignment import AssignmentSpec
from .files import atomic_write
from .model import ExerciseResult, SubmissionResult
from .safe_names import safe_name

__all__ = [
    "CSV_ENCODING",
    "GRADES_COLUMNS",
    "SUMMARY_COLUMNS",
    "exercise_titles",
    "write_grades_csv",
    "write_summary_csv",
    "write_feedback",
    "write_report",
    "write_outputs",
]

CSV_ENCODING = "utf-8-sig"
GRADES_COLUMNS = ("student_id", "assignment", "grade_id", "score", "max_score", "message")
SUMMARY_COLUMNS = (
    "student_id",
    "assignment",
    "score",
    "max_score",
    "percent",
    "needs_manual_grading",
    "ran",
    "problems",
)
#: How many distinct diagnostics the class report lists.
TOP_DIAGNOSTICS = 15


# --------------------------------------------------------------------------- helpers


def _natural_key(text: str) -> tuple:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def _result_key(result: SubmissionResult) -> tuple:
    return (_natural_key(result.student_id), result.student_id, _natural_key(result.assignment), result.assignment)


def _latest(results: Iterable[SubmissionResult]) -> list[SubmissionResult]:
    """One result per (student, assignment), the last one given, in a deterministic order."""
    by_key = {(r.student_id, r.assignment): r for r in results}
    return sorted(by_key.values(), key=_result_key)


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
                exercise = ExerciseResult(cell.grade_id, 0.0, cell.points, "この演習の採点結果がありません。", False)
            ordered.append(exercise)
    return ordered + list(ours.values())


def _totals(result: SubmissionResult, spec: AssignmentSpec | None) -> tuple[float, float]:
    """(points so far, maximum) over the exercises in notebook order."""
    exercises = _ordered_exercises(result, spec)
    return float(sum(e.score or 0.0 for e in exercises)), float(sum(e.max_score for e in exercises))


def exercise_titles(spec: AssignmentSpec | None) -> dict[str, str]:
    """grade_id → the heading of the notebook section it belongs to (e.g. "演習 2: 層を重ねて XOR を作る")."""
    titles: dict[str, str] = {}
    heading = ""
    for cell in spec.cells if spec else ():
        if cell.kind == "markdown":
            fenced = False
            for line in cell.source.splitlines():
                if line.lstrip().startswith(("```", "~~~")):
                    fenced = not fenced
                elif line.startswith("#") and not fenced:
                    heading = line.lstrip("#").strip()
        elif cell.kind in ("tests", "answer") and cell.grade_id:
            titles[cell.grade_id] = heading
    return titles


def _check_path_component(value: str, what: str) -> str:
    """An assignment id (ours, not the learner's) as a file name; ValueError if it cannot be one."""
    if not value or value in (".", "..") or any(c in value for c in "/\\\0"):
        raise ValueError(f"{what} {value!r} cannot be used as a file name")
    return value


def _feedback_relative(student_id: str, assignment: str) -> str:
    """``<safe_name(student_id)>/<assignment>.html``: where a feedback page is, under ``feedback/``."""
    return f"{safe_name(student_id)}/{_check_path_component(assignment, 'assignment')}.html"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------- CSV


def write_grades_csv(
    results: list[SubmissionResult], path: Path, specs: dict[str, AssignmentSpec] | None = None
) -> Path:
    """``student_id,assignment,grade_id,score,max_score,message``, one row per graded exercise.

    ``score`` is empty for a written answer that still has to be graded by hand; ``message``
    (the diagnostic shown to the learner) is empty at full marks. With ``specs``, exercises
    follow the notebook order and a graded cell without a result is a row with 0 points (as
    on the feedback page and in the gradebook).
    """
    specs = specs or {}
    rows = [
        [
            _spreadsheet_text(r.student_id),
            _spreadsheet_text(r.assignment),
            _spreadsheet_text(e.grade_id),
            _number(e.score),
            _number(e.max_score),
            _spreadsheet_text(e.message),
        ]
        for r in _latest(results)
        for e in _ordered_exercises(r, specs.get(r.assignment))
    ]
    return atomic_write(Path(path), _csv_bytes(GRADES_COLUMNS, rows))


def write_summary_csv(
    results: list[SubmissionResult], path: Path, specs: dict[str, AssignmentSpec] | None = None
) -> Path:
    """``student_id,assignment,score,max_score,percent,needs_manual_grading,ran,problems``.

    ``score`` counts the graded points so far (written answers awaiting a grader count 0);
    ``percent`` is score / max_score × 100 with one decimal (empty when max_score is 0);
    ``needs_manual_grading`` and ``ran`` are ``true``/``false``; ``problems`` holds the
    notebook-level messages, one per line. With ``specs``, max_score counts every graded cell
    of the assignment, also those without a result.
    """
    specs = specs or {}
    rows = []
    for r in _latest(results):
        score, max_score = _totals(r, specs.get(r.assignment))
        rows.append(
            [
                _spreadsheet_text(r.student_id),
                _spreadsheet_text(r.assignment),
                _number(score),
                _number(max_score),
                _number(_percent(score, max_score)),
                "true" if _needs_manual(r) else "false",
                "true" if r.ran else "false",
                _spreadsheet_text("\n".join(r.problems)),
            ]
        )
    return atomic_write(Path(path), _csv_bytes(SUMMARY_COLUMNS, rows))


# --------------------------------------------------------------------------- HTML

_BASE_CSS = """
:root { --ok: #1a7f37; --part: #9a6700; --ng: #cf222e; --wait: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font-family: "Hiragino Kaku Gothic ProN", "Hiragino Sans", "Noto Sans CJK JP", "Yu Gothic", Meiryo,
       IPAexGothic, sans-serif; margin: 0 auto; max-width: 1100px; padding: 24px; color: #1f2328; line-height: 1.6; }
h1 { font-size: 1.6em; border-bottom: 2px solid var(--line); padding-bottom: .3em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid var(--line); padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
pre { white-space: pre-wrap; word-break: break-word; font-family: ui-monospace, Menlo, Consolas, monospace;
      font-size: .9em; background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px;
      padding: 8px 12px; margin: .4em 0; }
.note { color: #57606a; font-size: .9em; }
.problems { border: 1px solid #d4a72c; background: #fff8c5; border-radius: 6px; padding: 8px 16px; }
.problems h2 { margin-top: .3em; }
.ok { color: var(--ok); } .partial { color: var(--part); } .ng { color: var(--ng); } .wait { color: var(--wait); }
"""

_FEEDBACK_CSS = """
.total { font-size: 1.3em; margin: .6em 0; }
.total .pct { color: #57606a; font-size: .8em; }
.exercise { border: 1px solid var(--line); border-left: 6px solid var(--line); border-radius: 6px;
            padding: 6px 14px; margin: 10px 0; }
.exercise.full { border-left-color: var(--ok); } .exercise.partial { border-left-color: var(--part); }
.exercise.zero { border-left-color: var(--ng); } .exercise.pending { border-left-color: var(--wait); }
.exercise h3 { font-size: 1.05em; margin: .3em 0; display: flex; gap: .6em; align-items: baseline; }
.exercise h3 .mark { font-size: 1.2em; width: 1.2em; }
.exercise h3 .gid { color: #57606a; font-weight: normal; font-size: .85em; }
.exercise h3 .score { margin-left: auto; white-space: nowrap; font-variant-numeric: tabular-nums; }
.exercise p { margin: .3em 0; }
"""

_REPORT_CSS = """
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: #57606a; font-size: .9em; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; min-width: 150px; }
.card .v { font-size: 1.5em; font-weight: bold; }
td.msg pre { margin: 0; background: none; border: none; padding: 0; }
a { color: #0969da; }
"""

_MARKS = {"full": ("✓", "ok"), "partial": ("△", "partial"), "zero": ("✗", "ng"), "pending": ("✎", "wait")}


def _page(title: str, css: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_BASE_CSS}{css}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    ).encode()


def _feedback_body(result: SubmissionResult, spec: AssignmentSpec | None) -> str:
    titles = exercise_titles(spec)
    exercises = _ordered_exercises(result, spec)
    score, max_score = _totals(result, spec)
    pending = [e for e in exercises if e.score is None]
    parts = [
        f"<h1>採点結果: {_e(result.assignment)}</h1>",
        "<table>",
        f"<tr><th>学生 ID</th><td>{_e(result.student_id)}</td></tr>",
        f"<tr><th>課題</th><td>{_e(result.assignment)}</td></tr>",
        f"<tr><th>提出ファイル</th><td>{_e(result.origin)}</td></tr>",
        "</table>",
    ]
    pct = _percent(score, max_score)
    total = f'<p class="total">合計 <strong>{_number(score)} / {_number(max_score)} 点</strong>'
    if pct is not None:
        total += f' <span class="pct">({_number(pct)}%)</span>'
    total += "</p>"
    parts.append(total)
    if pending:
        points = _number(sum(e.max_score for e in pending))
        parts.append(
            f'<p class="wait">記述問題 {len(pending)} 問 ({points} 点分) は採点者による採点待ちです。'
            "合計には採点後に加わります。</p>"
        )
    if not result.ran or result.problems:
        parts.append('<div class="problems"><h2>ノートブック全体についての注意</h2>')
        if not result.ran:
            parts.append("<p>ノートブックを実行できなかったため、自動採点できた演習はありません。</p>")
        if result.problems:
            parts.append("<ul>" + "".join(f"<li><pre>{_e(p)}</pre></li>" for p in result.problems) + "</ul>")
        parts.append("</div>")
    parts.append("<h2>演習ごとの結果</h2>")
    for exercise in exercises:
        status = _status(exercise)
        mark, css = _MARKS[status]
        title = titles.get(exercise.grade_id) or exercise.grade_id
        if status == "pending":
            score_text = f"– / {_number(exercise.max_score)} 点"
        else:
            score_text = f"{_number(exercise.score)} / {_number(exercise.max_score)} 点"
        parts.append(
            f'<section class="exercise {status}">'
            f'<h3><span class="mark {css}">{mark}</span><span>{_e(title)}</span>'
            f'<span class="gid">({_e(exercise.grade_id)})</span><span class="score">{score_text}</span></h3>'
        )
        if status == "pending":
            parts.append('<p class="wait">採点者による採点待ち</p>')
        elif status == "full" and not exercise.message:
            parts.append('<p class="ok">すべてのテストに合格しました。</p>')
        if exercise.message:
            parts.append(f'<pre class="message">{_e(exercise.message)}</pre>')
        parts.append("</section>")
    parts.append(
        '<p class="note">✓ 満点、△ 部分点、✗ 0 点、✎ 採点待ち。メッセージは見直す箇所の手がかりです。'
        "直したらノートブックを上から順に実行し直して、もう一度提出してください。</p>"
    )
    return "\n".join(parts) + "\n"


def write_feedback(result: SubmissionResult, spec: AssignmentSpec | None, path: Path) -> Path:
    """The learner's feedback page: total, then each exercise in notebook order (score, mark, message)."""
    body = _feedback_body(result, spec)
    return atomic_write(Path(path), _page(f"採点結果 {result.assignment} ({result.student_id})", _FEEDBACK_CSS, body))


# --------------------------------------------------------------------------- class report


@dataclass
class _ExerciseStats:
    grade_id: str
    title: str
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
                _ExerciseStats(exercise.grade_id, titles.get(exercise.grade_id, ""), exercise.max_score, Counter(), []),
            )
            entry.counts[_status(exercise)] += 1
            if exercise.score is not None:
                entry.scores.append(exercise.score)
    return list(stats.values())


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(png: str, alt: str, caption: str) -> str:
    return (
        f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{png}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


_STATUS_LABELS = [
    ("full", "満点 (full)", "#2da44e"),
    ("partial", "部分点 (partial)", "#d4a72c"),
    ("zero", "0 点 (zero)", "#cf222e"),
    ("pending", "採点待ち (manual)", "#8c959f"),
]


def _distribution_figure(assignment: str, stats: list[_ExerciseStats], percents: list[float]) -> str:
    from matplotlib.figure import Figure

    from course.plotting import use_japanese_font

    use_japanese_font()
    height = max(3.0, 0.45 * len(stats) + 1.6)
    fig = Figure(figsize=(11, height), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[3, 2])
    labels = [s.grade_id for s in stats]
    y = list(range(len(stats)))
    starts = [0] * len(stats)
    for status, label, color in _STATUS_LABELS:
        counts = [s.counts[status] for s in stats]
        if any(counts):
            left.barh(y, counts, left=starts, color=color, label=label, edgecolor="white")
        starts = [a + b for a, b in zip(starts, counts)]
    left.set_yticks(y, labels)
    left.invert_yaxis()
    left.set_xlabel("提出数")
    left.set_title(f"{assignment}: 演習ごとの得点 (score per exercise)")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=4, fontsize=8, frameon=False)
    left.grid(True, axis="x", alpha=0.3)
    right.hist(percents, bins=[i * 10 for i in range(11)], color="#0969da", edgecolor="white")
    right.set_xlim(0, 100)
    right.set_xlabel("得点率 (%)")
    right.set_ylabel("人数")
    right.set_title("合計の分布 (total score)")
    right.grid(True, axis="y", alpha=0.3)
    right.yaxis.get_major_locator().set_params(integer=True)
    left.xaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


def _runs_figure(results: list[SubmissionResult], assignments: list[str]) -> str:
    from matplotlib.figure import Figure

    from course.plotting import use_japanese_font

    use_japanese_font()
    ran = [sum(1 for r in results if r.assignment == a and r.ran) for a in assignments]
    failed = [sum(1 for r in results if r.assignment == a and not r.ran) for a in assignments]
    fig = Figure(figsize=(8, max(2.2, 0.5 * len(assignments) + 1.4)), layout="constrained")
    ax = fig.subplots()
    y = list(range(len(assignments)))
    ax.barh(y, ran, color="#2da44e", label="実行できた (ran)")
    ax.barh(y, failed, left=ran, color="#cf222e", label="実行できなかった (failed)")
    ax.set_yticks(y, assignments)
    ax.invert_yaxis()
    ax.set_xlabel("提出数")
    ax.set_title("課題ごとの提出と実行結果")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=2, fontsize=8, frameon=False)
    return _png(fig)


@dataclass
class _Diagnostic:
    assignment: str
    grade_id: str
    example: str  # the most frequent wording
    count: int
    variants: int  # wordings that differ only in numbers


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _frequent_diagnostics(results: list[SubmissionResult]) -> tuple[list[_Diagnostic], int]:
    """The most frequent diagnostics, messages that differ only in numbers counted together.

    Hidden checks draw fresh inputs per learner, so the same mistake can give "最大のずれは
    0.87" for one learner and "0.91" for another. Returns (top list, number of kinds).
    """
    groups: dict[tuple[str, str, str], Counter] = {}
    for r in results:
        for e in r.exercises:
            if e.message.strip():
                key = (r.assignment, e.grade_id, _NUMBER.sub("#", e.message))
                groups.setdefault(key, Counter())[e.message] += 1
    diagnostics = []
    for (assignment, grade_id, _), wordings in groups.items():
        example = min(wordings.items(), key=lambda item: (-item[1], item[0]))[0]
        diagnostics.append(_Diagnostic(assignment, grade_id, example, sum(wordings.values()), len(wordings)))
    diagnostics.sort(key=lambda d: (-d.count, d.assignment, d.grade_id, d.example))
    return diagnostics[:TOP_DIAGNOSTICS], len(diagnostics)


def _diagnostics_figure(top: list[_Diagnostic]) -> str:
    from matplotlib.figure import Figure

    from course.plotting import use_japanese_font

    use_japanese_font()
    shown = top[:10]
    fig = Figure(figsize=(8, 0.4 * len(shown) + 1.4), layout="constrained")
    ax = fig.subplots()
    y = list(range(len(shown)))
    ax.barh(y, [d.count for d in shown], color="#8250df")
    ax.set_yticks(y, [f"#{i + 1} {d.assignment}/{d.grade_id}" for i, d in enumerate(shown)])
    ax.invert_yaxis()
    ax.set_xlabel("件数")
    ax.set_title("よくある診断メッセージ (番号は下の表)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


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
) -> str:
    results = _latest(results)
    students = sorted({r.student_id for r in results}, key=lambda s: (_natural_key(s), s))
    assignments = sorted({r.assignment for r in results}, key=lambda a: (_natural_key(a), a))
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
        ("実行できなかった提出", len(failed)),
        ("記述の採点待ち", len(pending)),
    ]
    parts.append(
        '<div class="cards">'
        + "".join(f'<div class="card"><div>{_e(k)}</div><div class="v">{v}</div></div>' for k, v in cards)
        + "</div>"
    )
    if results:
        parts.append(
            _img(
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
            percents = [min(_percent(*_totals(r, spec)) or 0.0, 100.0) for r in subset]
            parts.append(f"<h3>{_e(assignment)} ({len(subset)} 件)</h3>")
            if stats:
                parts.append(
                    _img(
                        _distribution_figure(assignment, stats, percents),
                        f"{assignment} の得点分布",
                        "左: 演習ごとの満点・部分点・0 点・採点待ちの提出数。"
                        "右: 合計得点率の分布 (採点待ちの記述は 0 点として数える)。",
                    )
                )
                rows = []
                for s in stats:
                    mean = _number(sum(s.scores) / len(s.scores)) if s.scores else ""
                    rows.append(
                        [_e(s.grade_id), _e(s.title), _number(s.max_score)]
                        + [str(s.counts[k]) for k, _, _ in _STATUS_LABELS]
                        + [mean]
                    )
                parts.append(
                    _table(
                        ["grade_id", "演習", "配点", "満点", "部分点", "0 点", "採点待ち", "平均点"],
                        rows,
                        {2, 3, 4, 5, 6, 7},
                    )
                )

        parts.append("<h2>よくある診断メッセージ (most frequent diagnostics)</h2>")
        top, kinds = _frequent_diagnostics(results)
        if top:
            parts.append(
                _img(_diagnostics_figure(top), "よくある診断メッセージ", "件数の多い診断メッセージ (上位 10 件)。")
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
            parts.append("<p>診断メッセージはありません (全員満点)。</p>")

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
        noted = [r for r in results if r.ran and r.problems]
        if noted:
            parts.append("<h3>実行はできたが注意のある提出 (notebook problems)</h3>")
            rows = [[_e(r.student_id), _e(r.assignment), "<pre>" + _e("\n".join(r.problems)) + "</pre>"] for r in noted]
            parts.append(_table(["学生", "課題", "問題 (problem)"], rows))

        parts.append("<h2>学生ごとの合計 (totals)</h2>")
        by_key = {(r.student_id, r.assignment): r for r in results}
        rows = []
        for student in students:
            row = [_e(student)]
            total = maximum = 0.0
            for assignment in assignments:
                r = by_key.get((student, assignment))
                if r is None:
                    row.append('<span class="note">未提出</span>')
                    continue
                score, max_score = _totals(r, specs.get(assignment))
                total, maximum = total + score, maximum + max_score
                text = f"{_number(score)} / {_number(max_score)}"
                if feedback_dir is not None:
                    href = f"{feedback_dir}/{quote(_feedback_relative(student, assignment))}"
                    text = f'<a href="{_e(href)}">{text}</a>'
                if not r.ran:
                    text += ' <span class="ng" title="実行できなかった">✗</span>'
                if _needs_manual(r):
                    text += ' <span class="wait" title="記述の採点待ち">✎</span>'
                row.append(text)
            pct = _percent(total, maximum)
            row.append(f"{_number(total)} / {_number(maximum)}" + (f" ({_number(pct)}%)" if pct is not None else ""))
            rows.append(row)
        parts.append(
            _table(["学生 (student)", *map(_e, assignments), "合計"], rows, set(range(1, len(assignments) + 2)))
        )
        parts.append(
            '<p class="note">✗ 実行できなかった提出、✎ 記述の採点待ち (formgrader で採点)。'
            "点数のリンクは各学生のフィードバックページ。</p>"
        )
    return "\n".join(parts) + "\n"


def write_report(
    results: list[SubmissionResult],
    specs: dict[str, AssignmentSpec],
    discovery_summary: str,
    path: Path,
    sandbox_note: str,
    feedback_dir: str | None = "feedback",
) -> Path:
    """The class report: figures, frequent diagnostics, failed runs, totals, discovery and sandbox notes.

    ``feedback_dir``: where the feedback pages are, relative to the report (links from the
    totals table); None for no links.
    """
    body = _report_body(list(results), specs, discovery_summary, sandbox_note, feedback_dir)
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
) -> dict[str, Path]:
    """Write everything into ``out_dir``; returns {path relative to out_dir (posix): path}."""
    out_dir = Path(out_dir)
    results = _latest(results)
    pages = {(r.student_id, r.assignment): feedback_path(out_dir, r) for r in results}  # validates the names first
    written = {
        "grades.csv": write_grades_csv(results, out_dir / "grades.csv", specs),
        "summary.csv": write_summary_csv(results, out_dir / "summary.csv", specs),
    }
    for result in results:
        path = write_feedback(result, specs.get(result.assignment), pages[(result.student_id, result.assignment)])
        written[path.relative_to(out_dir).as_posix()] = path
    written["report.html"] = write_report(results, specs, discovery_summary, out_dir / "report.html", sandbox_note)
    return written
