"""``autograder export``: grade files a learning-management system imports as they are.

Everything comes from ``OUT/summary.csv`` (one row per learner × assignment, written by
``autograder grade``); nothing is graded again. Three formats:

- ``wide``: one row per learner for the instructor's spreadsheet. Columns ``student_id``, the
  other columns of the mapping file (with ``--ids``), then per assignment ``<assignment>`` (the
  points) and ``<assignment>_status`` (``final``, ``provisional`` or ``missing``), then ``total``,
  ``max_total``, ``percent``, ``status`` and ``missing``.
- ``moodle``: the file of Moodle's gradebook "Import → CSV file": identifier columns (``Email
  address``, ``Username``, ``ID number`` from the mapping, those filled for every learner; without
  ``--ids`` one column ``student_id``) that the import maps to a user field, then one column per
  assignment (the grade item). Only identifiers and numbers: Moodle rejects the whole import for
  one cell that is not a number in a grade column, or for one row whose user it cannot find.
- ``canvas``: the file of Canvas's gradebook "Import": ``Student,ID,SIS User ID,SIS Login ID,Section``,
  then one column per assignment (named as the assignment, so Canvas matches an assignment of
  that name or creates one), and a first data row ``Points Possible`` holding each assignment's
  maximum (Canvas uses it for the assignments it creates).

Decisions:

- Only what is graded counts. In ``summary.csv`` a ``provisional`` row has written answers that
  await their grader; its ``score`` holds the points so far (autograded + written answers graded).
  ``wide`` writes those points and says ``provisional`` beside them (the total's ``percent`` stays
  empty, as in ``summary.csv``). The LMS formats cannot carry a status, so by default they leave a
  provisional cell **empty** (not graded yet) and list it; ``include_provisional`` writes the
  points so far instead, listed too.
- A missing submission (``missing``) is an empty cell in every format: in ``wide`` with
  ``missing`` in its status column and counted as 0 points in ``total`` (as ``report.html`` does);
  in the LMS formats it means "no grade", never a 0 that the instructor did not decide.
- Learners are matched to LMS accounts through a mapping file (``--ids``): ``student_id`` (the
  id used for grading) and any of ``email``, ``username``, ``idnumber``, ``name``, ``canvas_id``,
  ``sis_user_id``, ``sis_login_id``, ``section``. A graded learner without a mapping row stops the
  export with the list of them (``skip_unmapped`` leaves them out, listed); a learner in the
  mapping without any submission gets a row with every assignment missing. Without ``--ids`` the
  grading id is the identifier (Moodle: column ``student_id``; Canvas: ``Student`` and ``SIS Login ID``).
- CSV safety: every text cell goes through :func:`autograder.reports._spreadsheet_text` (a leading
  ``'`` before what a spreadsheet would evaluate); ``summary.csv`` wrote its ids that way, so they
  are read back without that ``'``. (An id that itself starts with ``'`` and then ``= + - @`` reads
  back without its ``'``: ``summary.csv`` cannot tell the two apart.)
- Encodings: ``wide`` is UTF-8 with BOM (Excel, like the other CSV files of OUT); ``moodle`` and
  ``canvas`` are UTF-8 without BOM, what their importers expect. Lines end with CRLF.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .files import atomic_write
from .reports import CSV_ENCODING, _number, _percent, _spreadsheet_text

__all__ = [
    "CANVAS_COLUMNS",
    "FORMATS",
    "MAPPING_COLUMNS",
    "ExportError",
    "ExportResult",
    "GradeTable",
    "Mapping",
    "Summary",
    "build_table",
    "export_grades",
    "read_mapping",
    "read_summary",
    "table_bytes",
]

FORMATS = ("wide", "moodle", "canvas")
#: The columns a mapping file may have; ``student_id`` is required.
MAPPING_COLUMNS = (
    "student_id",
    "email",
    "username",
    "idnumber",
    "name",
    "canvas_id",
    "sis_user_id",
    "sis_login_id",
    "section",
)
#: The leading columns of Canvas's gradebook import.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_POSSIBLE = "Points Possible"
#: Moodle identifier columns: (header, mapping column), in this order.
MOODLE_IDENTIFIERS = (("Email address", "email"), ("Username", "username"), ("ID number", "idnumber"))
#: Mapping columns whose values name one LMS account each (a value used twice is an error).
UNIQUE_IDENTIFIERS = ("email", "username", "idnumber", "canvas_id", "sis_user_id", "sis_login_id")
STATUSES = ("final", "provisional", "missing")
SUMMARY_REQUIRED = ("student_id", "assignment", "status", "score", "max_score")


class ExportError(ValueError):
    """Input the export cannot use (missing file, bad columns, unmapped learners…); the message is Japanese."""


def _listing(items: list[str], limit: int = 20) -> str:
    shown = [repr(item) for item in items[:limit]]
    more = f" ほか {len(items) - limit} 件" if len(items) > limit else ""
    return ", ".join(shown) + more


def _unguard(text: str) -> str:
    """The text ``_spreadsheet_text`` turned into ``text`` (its leading ``'`` removed when it added one)."""
    if text.startswith("'") and _spreadsheet_text(text[1:]) != text[1:]:
        return text[1:]
    return text


def _read_csv(path: Path, what: str) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ExportError(f"{what} {path} がありません (no such file)。") from None
    except UnicodeDecodeError:
        raise ExportError(f"{what} {path} が UTF-8 ではありません (not UTF-8)。") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = list(reader.fieldnames or [])
    rows = [row for row in reader if any((value or "").strip() for value in row.values() if isinstance(value, str))]
    return header, rows


# --------------------------------------------------------------------------- summary.csv


@dataclass(frozen=True)
class Entry:
    """One row of summary.csv: a learner × an assignment."""

    student_id: str
    assignment: str
    status: str  # final, provisional or missing
    score: float | None  # None when missing
    max_score: float


@dataclass
class Summary:
    """summary.csv, read: learners and assignments in the file's order, one entry per pair."""

    students: list[str] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)
    max_scores: dict[str, float] = field(default_factory=dict)  # per assignment, the first one given


def _float(text: str, line: int, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ExportError(f"summary.csv の {line} 行目: {column} が数ではありません ({text!r})。") from None


def read_summary(path: Path) -> Summary:
    """Read ``summary.csv`` (as ``write_summary_csv`` writes it); ExportError when it is not one."""
    header, rows = _read_csv(path, "summary.csv")
    absent = [column for column in SUMMARY_REQUIRED if column not in header]
    if absent:
        raise ExportError(
            f"{path} は summary.csv の形ではありません: 列 {', '.join(absent)} がありません "
            "(autograder grade が書いたものを指定してください)。"
        )
    summary = Summary()
    for line, row in enumerate(rows, start=2):
        student, assignment = _unguard(row["student_id"] or ""), _unguard(row["assignment"] or "")
        status = (row["status"] or "").strip()
        if status not in STATUSES:
            raise ExportError(
                f"summary.csv の {line} 行目: status {status!r} は {'/'.join(STATUSES)} のどれでもありません。"
            )
        if (student, assignment) in summary.entries:
            raise ExportError(f"summary.csv の {line} 行目: 学生 {student!r} の課題 {assignment} が 2 回あります。")
        score_text = (row["score"] or "").strip()
        if status == "missing":
            score = None
        elif not score_text:
            raise ExportError(f"summary.csv の {line} 行目: 提出のある課題 ({status}) の score が空です。")
        else:
            score = _float(score_text, line, "score")
        max_score = _float((row["max_score"] or "").strip(), line, "max_score")
        summary.entries[(student, assignment)] = Entry(student, assignment, status, score, max_score)
        if student not in summary.students:
            summary.students.append(student)
        if assignment not in summary.assignments:
            summary.assignments.append(assignment)
        summary.max_scores.setdefault(assignment, max_score)
    return summary


# --------------------------------------------------------------------------- mapping file


@dataclass
class Mapping:
    """The mapping file: our student_id → its LMS identifiers (column → value), in the file's order."""

    columns: list[str]
    rows: dict[str, dict[str, str]]


def read_mapping(path: Path) -> Mapping:
    """Read and check a mapping file (``student_id`` + :data:`MAPPING_COLUMNS`); ExportError with every problem."""
    header, rows = _read_csv(path, "対応表 (--ids)")
    header = [column.strip() for column in header]
    if "student_id" not in header:
        found = ", ".join(header) or "(なし)"
        raise ExportError(
            f"対応表 {path} に列 student_id がありません (見つかった列: {found})。"
            f"使える列: {', '.join(MAPPING_COLUMNS)}。"
        )
    problems = []
    unknown = [column for column in header if column not in MAPPING_COLUMNS]
    if unknown:
        problems.append(f"知らない列 {_listing(unknown)} (使える列: {', '.join(MAPPING_COLUMNS)})")
    if len(set(header)) != len(header):
        problems.append(
            f"同じ名前の列が 2 つ以上あります: {_listing(sorted(c for c, n in Counter(header).items() if n > 1))}"
        )
    parsed: dict[str, dict[str, str]] = {}
    empty_lines, duplicates = [], []
    for line, row in enumerate(rows, start=2):
        cells = {column.strip(): value or "" for column, value in row.items() if isinstance(column, str)}
        student = _unguard(cells.get("student_id", ""))
        if not student.strip():
            empty_lines.append(str(line))
            continue
        if student in parsed:
            duplicates.append(student)
            continue
        parsed[student] = {column: _unguard(value.strip()) for column, value in cells.items() if column != "student_id"}
    if empty_lines:
        problems.append(f"student_id が空の行があります ({', '.join(empty_lines)} 行目)")
    if duplicates:
        problems.append(f"student_id が 2 回以上出てきます: {_listing(sorted(set(duplicates)))}")
    for column in UNIQUE_IDENTIFIERS:
        used = Counter(values.get(column, "") for values in parsed.values())
        twice = sorted(value for value, count in used.items() if value and count > 1)
        if twice:
            problems.append(f"列 {column} の同じ値が 2 人以上に付いています: {_listing(twice)}")
    if problems:
        raise ExportError(f"対応表 {path} を使えません:\n" + "\n".join(f"  - {p}" for p in problems))
    return Mapping([column for column in header if column != "student_id"], parsed)


# --------------------------------------------------------------------------- tables


@dataclass
class GradeTable:
    """What one export writes: a header and rows of text cells, and what the instructor must know."""

    format: str
    header: list[str]
    rows: list[list[str]]
    students: list[str] = field(default_factory=list)  # the learners written, in order
    assignments: list[str] = field(default_factory=list)  # in the order of summary.csv
    provisional: list[tuple[str, str]] = field(default_factory=list)  # (student, assignment) awaiting written grades
    blanked: list[tuple[str, str]] = field(default_factory=list)  # provisional cells left empty (LMS formats)
    missing: list[tuple[str, str]] = field(default_factory=list)  # no submission: empty cells
    skipped: list[str] = field(default_factory=list)  # graded learners without a mapping row, left out
    roster_only: list[str] = field(default_factory=list)  # in the mapping, no submission at all


def _learners(summary: Summary, mapping: Mapping | None, skip_unmapped: bool) -> tuple[list[str], list[str], list[str]]:
    """(learners to write, graded learners left out, mapped learners without any submission)."""
    if mapping is None:
        return list(summary.students), [], []
    unmapped = [s for s in summary.students if s not in mapping.rows]
    if unmapped and not skip_unmapped:
        raise ExportError(
            f"対応表にない学生が {len(unmapped)} 人います: {_listing(unmapped)}。"
            "対応表に行を足すか、--skip-unmapped でこの人たちを除いて書き出してください。"
        )
    graded = set(summary.students)
    roster_only = [s for s in mapping.rows if s not in graded]
    learners = [s for s in summary.students if s in mapping.rows] + roster_only
    return learners, unmapped, roster_only


def _entry(summary: Summary, student: str, assignment: str) -> Entry:
    entry = summary.entries.get((student, assignment))
    if entry is None:  # a learner of the mapping without any submission, or a row summary.csv lacks
        entry = Entry(student, assignment, "missing", None, summary.max_scores.get(assignment, 0.0))
    return entry


def _grade_cells(table: GradeTable, summary: Summary, student: str, include_provisional: bool) -> list[str]:
    """The LMS grade cells of one learner: points, or empty (missing; provisional unless included)."""
    cells = []
    for assignment in summary.assignments:
        entry = _entry(summary, student, assignment)
        if entry.status == "missing":
            table.missing.append((student, assignment))
            cells.append("")
        elif entry.status == "provisional":
            table.provisional.append((student, assignment))
            if include_provisional:
                cells.append(_number(entry.score))
            else:
                table.blanked.append((student, assignment))
                cells.append("")
        else:
            cells.append(_number(entry.score))
    return cells


def _wide(table: GradeTable, summary: Summary, mapping: Mapping | None, learners: list[str]) -> None:
    extra = mapping.columns if mapping else []
    table.header = ["student_id", *extra]
    for assignment in summary.assignments:
        table.header += [assignment, f"{assignment}_status"]
    table.header += ["total", "max_total", "percent", "status", "missing"]
    for student in learners:
        ids = mapping.rows[student] if mapping else {}
        row = [student, *(ids.get(column, "") for column in extra)]
        total = max_total = 0.0
        provisional = missing = 0
        for assignment in summary.assignments:
            entry = _entry(summary, student, assignment)
            if entry.status == "missing":
                table.missing.append((student, assignment))
                missing += 1
            elif entry.status == "provisional":
                table.provisional.append((student, assignment))
                provisional += 1
            row += [_number(entry.score), entry.status]
            total += entry.score or 0.0
            max_total += entry.max_score
        percent = None if provisional else _percent(total, max_total)
        row += [_number(total), _number(max_total), _number(percent)]
        row += ["provisional" if provisional else "final", str(missing)]
        table.rows.append(row)


def _moodle(
    table: GradeTable, summary: Summary, mapping: Mapping | None, learners: list[str], include_provisional: bool
) -> None:
    if mapping is None:
        identifiers = [("student_id", None)]
    else:
        # a column Moodle's import can map from must be filled for every row: one row it cannot match stops it all
        identifiers = [
            (header, column)
            for header, column in MOODLE_IDENTIFIERS
            if column in mapping.columns and all(mapping.rows[s].get(column) for s in learners)
        ]
        if not identifiers:
            lacking = {
                column: [s for s in learners if not mapping.rows[s].get(column)]
                for _, column in MOODLE_IDENTIFIERS
                if column in mapping.columns
            }
            detail = "; ".join(f"{column} が空: {_listing(ids)}" for column, ids in lacking.items()) or (
                "対応表に email・username・idnumber のどの列もありません"
            )
            raise ExportError(
                "Moodle の取り込みには、全員について埋まった識別子の列 (email、username、idnumber のどれか) "
                f"が要ります ({detail})。"
            )
    table.header = [header for header, _ in identifiers] + list(summary.assignments)
    for student in learners:
        ids = [student if column is None else mapping.rows[student][column] for _, column in identifiers]
        table.rows.append(ids + _grade_cells(table, summary, student, include_provisional))


def _canvas(
    table: GradeTable, summary: Summary, mapping: Mapping | None, learners: list[str], include_provisional: bool
) -> None:
    table.header = [*CANVAS_COLUMNS, *summary.assignments]
    points = [_number(summary.max_scores[a]) for a in summary.assignments]
    table.rows.append([CANVAS_POINTS_POSSIBLE, "", "", "", "", *points])
    unidentified = []
    for student in learners:
        if mapping is None:
            ids = [student, "", "", student, ""]
        else:
            values = mapping.rows[student]
            login = values.get("sis_login_id") or (
                "" if "sis_login_id" in mapping.columns else values.get("username", "")
            )
            ids = [
                values.get("name") or student,
                values.get("canvas_id", ""),
                values.get("sis_user_id", ""),
                login,
                values.get("section", ""),
            ]
            if not any(ids[1:4]):
                unidentified.append(student)
        table.rows.append(ids + _grade_cells(table, summary, student, include_provisional))
    if unidentified:
        raise ExportError(
            f"Canvas で学生を見分ける値 (canvas_id、sis_user_id、sis_login_id か username) がない学生がいます: "
            f"{_listing(unidentified)}。対応表を埋めてください。"
        )


def build_table(
    summary: Summary,
    fmt: str,
    mapping: Mapping | None = None,
    include_provisional: bool = False,
    skip_unmapped: bool = False,
) -> GradeTable:
    """The rows of the export in format ``fmt`` (one of :data:`FORMATS`); ExportError when it cannot be made."""
    if fmt not in FORMATS:
        raise ExportError(f"形式 {fmt!r} は使えません ({', '.join(FORMATS)} のどれか)。")
    if include_provisional and fmt == "wide":
        raise ExportError(
            "--include-provisional は moodle と canvas 用です (wide は暫定の点を状態の列つきで常に書きます)。"
        )
    if not summary.students and mapping is None:
        raise ExportError("summary.csv に学生が 1 人もいません。")
    learners, skipped, roster_only = _learners(summary, mapping, skip_unmapped)
    table = GradeTable(
        fmt, [], [], students=learners, assignments=list(summary.assignments), skipped=skipped, roster_only=roster_only
    )
    if fmt == "wide":
        _wide(table, summary, mapping, learners)
    elif fmt == "moodle":
        _moodle(table, summary, mapping, learners, include_provisional)
    else:
        _canvas(table, summary, mapping, learners, include_provisional)
    table.rows = [[_spreadsheet_text(cell) for cell in row] for row in table.rows]
    table.header = [_spreadsheet_text(cell) for cell in table.header]
    return table


def table_bytes(table: GradeTable) -> bytes:
    """The CSV file: CRLF lines; UTF-8 with BOM for ``wide`` (Excel), without for the LMS importers."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return buffer.getvalue().encode(CSV_ENCODING if table.format == "wide" else "utf-8")


# --------------------------------------------------------------------------- the command


@dataclass
class ExportResult:
    """What ``export_grades`` wrote, and the table it wrote."""

    path: Path
    table: GradeTable


def default_path(out_dir: Path, fmt: str) -> Path:
    """Where the export goes without ``--to``: ``OUT/lms_<format>.csv``."""
    return Path(out_dir) / f"lms_{fmt}.csv"


def export_grades(
    out_dir: Path,
    fmt: str,
    ids: Path | None = None,
    to: Path | None = None,
    include_provisional: bool = False,
    skip_unmapped: bool = False,
) -> ExportResult:
    """Read ``out_dir/summary.csv`` (and the mapping ``ids``), write the export in format ``fmt``.

    Writes ``to`` (default :func:`default_path`) atomically, only when everything checked out;
    raises ExportError (a Japanese message) otherwise, writing nothing.
    """
    summary = read_summary(Path(out_dir) / "summary.csv")
    mapping = read_mapping(Path(ids)) if ids is not None else None
    table = build_table(summary, fmt, mapping, include_provisional=include_provisional, skip_unmapped=skip_unmapped)
    path = Path(to) if to is not None else default_path(out_dir, fmt)
    return ExportResult(atomic_write(path, table_bytes(table)), table)
