"""``autograder export``: Moodle, Canvas and wide files from summary.csv (exact rows), the mapping file, CSV safety."""

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.cli import build_parser
from autograder.lms_export import ExportError, build_table, export_grades, read_mapping, read_summary
from autograder.model import ExerciseResult, SubmissionResult
from autograder.reports import write_summary_csv

HOSTILE = '=HYPERLINK("http://evil","x")'
BOM = b"\xef\xbb\xbf"


def _result(student: str, assignment: str, exercises: list[ExerciseResult]) -> SubmissionResult:
    return SubmissionResult(student, assignment, f"{student}/{assignment}.ipynb", "0" * 64, exercises)


def class_results() -> list[SubmissionResult]:
    """a1: 3 autograded + 2 written points; a2: 4 autograded points.

    alice: a1 final 4.5 (written answer graded), a2 final 2.
    bob: a1 provisional (1 autograded point, written answer pending), a2 missing.
    HOSTILE: a1 final 0, a2 final 4.
    """
    return [
        _result("alice", "a1", [ExerciseResult("t", 3.0, 3.0), ExerciseResult("w", 1.5, 2.0, manual=True)]),
        _result("alice", "a2", [ExerciseResult("t", 2.0, 4.0)]),
        _result("bob", "a1", [ExerciseResult("t", 1.0, 3.0), ExerciseResult("w", None, 2.0, manual=True)]),
        _result(HOSTILE, "a1", [ExerciseResult("t", 0.0, 3.0), ExerciseResult("w", 0.0, 2.0, manual=True)]),
        _result(HOSTILE, "a2", [ExerciseResult("t", 4.0, 4.0)]),
    ]


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "out"
    write_summary_csv(class_results(), folder / "summary.csv")
    return folder


def write_mapping(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def mapping(tmp_path) -> Path:
    return write_mapping(
        tmp_path / "ids.csv",
        ["student_id", "email", "username", "idnumber", "name", "canvas_id", "sis_user_id", "section"],
        [
            ["alice", "alice@example.jp", "alice01", "A-1", "Alice, A", "11", "S1", "Sec 1"],
            ["bob", "bob@example.jp", "", "B-2", "", "12", "", "Sec 2"],
            [HOSTILE, "@evil@example.jp", "evil", "E-3", "-2+3", "13", "S3", ""],
            ["carol", "carol@example.jp", "carol", "C-4", "Carol", "14", "S4", "Sec 1"],
        ],
    )


def parse(path: Path, bom: bool) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(BOM) is bom
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # CRLF line ends
    return list(csv.reader(io.StringIO(text, newline="")))


GUARDED = "'" + HOSTILE


def test_summary_is_read_back_with_the_real_ids(out):
    summary = read_summary(out / "summary.csv")
    assert summary.students == [HOSTILE, "alice", "bob"]  # the order of summary.csv (natural order)
    assert summary.assignments == ["a1", "a2"]
    bob = summary.entries[("bob", "a1")]
    assert (bob.status, bob.score, bob.max_score) == ("provisional", 1.0, 5.0)
    missing = summary.entries[("bob", "a2")]
    assert (missing.status, missing.score, missing.max_score) == ("missing", None, 4.0)
    assert summary.entries[("alice", "a1")].score == 4.5
    assert summary.max_scores == {"a1": 5.0, "a2": 4.0}


def test_wide_has_one_row_per_learner_with_status_columns(out):
    result = export_grades(out, "wide")
    assert result.path == out / "lms_wide.csv"
    rows = parse(result.path, bom=True)
    assert rows == [
        ["student_id", "a1", "a1_status", "a2", "a2_status", "total", "max_total", "percent", "status", "missing"],
        [GUARDED, "0", "final", "4", "final", "4", "9", "44.4", "final", "0"],
        ["alice", "4.5", "final", "2", "final", "6.5", "9", "72.2", "final", "0"],
        ["bob", "1", "provisional", "", "missing", "1", "9", "", "provisional", "1"],
    ]
    assert result.table.provisional == [("bob", "a1")]
    assert result.table.missing == [("bob", "a2")]
    assert result.table.blanked == []


def test_wide_adds_the_mapping_columns_and_learners_without_submissions(out, mapping):
    table = export_grades(out, "wide", ids=mapping).table
    assert table.header[:9] == [
        "student_id", "email", "username", "idnumber", "name", "canvas_id", "sis_user_id", "section", "a1",
    ]  # fmt: skip
    by_id = {row[0]: row for row in table.rows}
    assert by_id["alice"][1:8] == ["alice@example.jp", "alice01", "A-1", "Alice, A", "11", "S1", "Sec 1"]
    assert by_id[GUARDED][1:8] == ["'@evil@example.jp", "evil", "E-3", "'-2+3", "13", "S3", ""]
    # carol is in the mapping but submitted nothing: every assignment missing, 0 of 9, not dropped
    assert by_id["carol"][8:] == ["", "missing", "", "missing", "0", "9", "0", "final", "2"]
    assert table.roster_only == ["carol"]
    assert [row[0] for row in table.rows] == [GUARDED, "alice", "bob", "carol"]


def test_moodle_file_has_identifier_columns_and_numbers_only(out, mapping):
    result = export_grades(out, "moodle", ids=mapping, to=out / "moodle.csv")
    rows = parse(out / "moodle.csv", bom=False)
    # Username is left out: bob has none, and Moodle stops the whole import at a row it cannot match
    assert rows == [
        ["Email address", "ID number", "a1", "a2"],
        ["'@evil@example.jp", "E-3", "0", "4"],
        ["alice@example.jp", "A-1", "4.5", "2"],
        ["bob@example.jp", "B-2", "", ""],  # a1 awaits its written answer's grade, a2 was not submitted
        ["carol@example.jp", "C-4", "", ""],
    ]
    assert result.table.blanked == [("bob", "a1")]
    assert result.table.missing == [("bob", "a2"), ("carol", "a1"), ("carol", "a2")]
    for row in rows[1:]:
        for cell in row[2:]:
            assert cell == "" or float(cell) >= 0


def test_moodle_include_provisional_writes_the_points_so_far(out, mapping):
    table = export_grades(out, "moodle", ids=mapping, include_provisional=True).table
    assert table.rows[2] == ["bob@example.jp", "B-2", "1", ""]
    assert table.provisional == [("bob", "a1")] and table.blanked == []


def test_moodle_without_mapping_uses_the_grading_id(out):
    rows = parse(export_grades(out, "moodle").path, bom=False)
    assert rows == [["student_id", "a1", "a2"], [GUARDED, "0", "4"], ["alice", "4.5", "2"], ["bob", "", ""]]


def test_canvas_file_has_the_leading_columns_and_points_possible(out, mapping):
    rows = parse(export_grades(out, "canvas", ids=mapping).path, bom=False)
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "a1", "a2"],
        ["Points Possible", "", "", "", "", "5", "4"],
        ["'-2+3", "13", "S3", "evil", "", "0", "4"],
        ["Alice, A", "11", "S1", "alice01", "Sec 1", "4.5", "2"],
        ["bob", "12", "", "", "Sec 2", "", ""],  # no name: the grading id; SIS Login ID from username (empty)
        ["Carol", "14", "S4", "carol", "Sec 1", "", ""],
    ]


def test_canvas_without_mapping_and_with_provisional_points(out):
    rows = parse(export_grades(out, "canvas", include_provisional=True).path, bom=False)
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "a1", "a2"],
        ["Points Possible", "", "", "", "", "5", "4"],
        [GUARDED, "", "", GUARDED, "", "0", "4"],
        ["alice", "", "", "alice", "", "4.5", "2"],
        ["bob", "", "", "bob", "", "1", ""],
    ]


def test_canvas_sis_login_id_column_wins_over_username(out, tmp_path):
    ids = write_mapping(
        tmp_path / "ids.csv",
        ["student_id", "username", "sis_login_id"],
        [["alice", "u-a", "login-a"], ["bob", "u-b", "login-b"], [HOSTILE, "u-e", "login-e"]],
    )
    rows = export_grades(out, "canvas", ids=ids).table.rows
    assert [row[3] for row in rows] == ["", "login-e", "login-a", "login-b"]


def test_unmapped_learners_stop_the_export_and_nothing_is_written(out, tmp_path):
    ids = write_mapping(tmp_path / "ids.csv", ["student_id", "email"], [["alice", "a@example.jp"]])
    for fmt in ("moodle", "canvas", "wide"):
        with pytest.raises(ExportError) as error:
            export_grades(out, fmt, ids=ids)
        message = str(error.value)
        assert f"対応表にない学生が 2 人います: {HOSTILE!r}, 'bob'" in message
        assert "--skip-unmapped" in message
        assert not (out / f"lms_{fmt}.csv").exists()


def test_skip_unmapped_leaves_them_out_and_lists_them(out, tmp_path):
    ids = write_mapping(tmp_path / "ids.csv", ["student_id", "email"], [["alice", "a@example.jp"]])
    table = export_grades(out, "moodle", ids=ids, skip_unmapped=True).table
    assert table.rows == [["a@example.jp", "4.5", "2"]]
    assert table.skipped == [HOSTILE, "bob"]


@pytest.mark.parametrize(
    "header, rows, expected",
    [
        (["id", "email"], [["alice", "a@x"]], "列 student_id がありません (見つかった列: id, email)"),
        (["student_id", "email"], [["alice", "a@x"], ["alice", "b@x"]], "student_id が 2 回以上出てきます: 'alice'"),
        (
            ["student_id", "email"],
            [["alice", "a@x"], ["bob", "a@x"]],
            "列 email の同じ値が 2 人以上に付いています: 'a@x'",
        ),
        (["student_id", "email"], [["alice", "a@x"], ["", "b@x"]], "student_id が空の行があります (3 行目)"),
        (["student_id", "mail"], [["alice", "a@x"]], "知らない列 'mail'"),
        (["student_id", "email", "email"], [["alice", "a@x", "b@x"]], "同じ名前の列が 2 つ以上あります: 'email'"),
    ],
)
def test_mapping_file_problems_are_named(tmp_path, header, rows, expected):
    path = write_mapping(tmp_path / "ids.csv", header, rows)
    with pytest.raises(ExportError) as error:
        read_mapping(path)
    assert expected in str(error.value)


def test_mapping_reads_excel_bom_and_guarded_ids(tmp_path):
    path = tmp_path / "ids.csv"
    text = f'student_id,email\r\n"\'{HOSTILE.replace(chr(34), chr(34) * 2)}",e@x\r\nbob, b@x \r\n'
    path.write_bytes(BOM + text.encode())
    mapping = read_mapping(path)
    assert mapping.columns == ["email"]
    assert mapping.rows == {HOSTILE: {"email": "e@x"}, "bob": {"email": "b@x"}}


def test_moodle_needs_an_identifier_filled_for_everyone(out, tmp_path):
    ids = write_mapping(
        tmp_path / "ids.csv",
        ["student_id", "email", "name"],
        [["alice", "a@x", "A"], ["bob", "", "B"], [HOSTILE, "e@x", "E"]],
    )
    with pytest.raises(ExportError) as error:
        export_grades(out, "moodle", ids=ids)
    assert "email が空: 'bob'" in str(error.value)


def test_canvas_needs_an_identifier_for_everyone(out, tmp_path):
    ids = write_mapping(
        tmp_path / "ids.csv",
        ["student_id", "name", "canvas_id"],
        [["alice", "A", "1"], ["bob", "B", ""], [HOSTILE, "E", "3"]],
    )
    with pytest.raises(ExportError) as error:
        export_grades(out, "canvas", ids=ids)
    assert "'bob'" in str(error.value) and "'alice'" not in str(error.value)


def test_every_text_cell_is_guarded_against_formulas(tmp_path):
    # hostile student ids (kept whole: leading white space and tabs too) and hostile LMS values
    # (stripped of surrounding white space, as Moodle and Canvas read them)
    students = [HOSTILE, " =cmd", "\t1", "-1+2"]
    values = ["=1+1", "+cmd", "-2", "@SUM(A1)", "＝x", "＠y", "=A1\tB", "-3"]
    out = tmp_path / "out"
    write_summary_csv([_result(s, "a1", [ExerciseResult("t", 1.0, 2.0)]) for s in students], out / "summary.csv")
    assert sorted(read_summary(out / "summary.csv").students) == sorted(students)
    ids = write_mapping(
        tmp_path / "ids.csv",
        ["student_id", "email", "name", "canvas_id", "section"],
        [[student, values[2 * i], values[2 * i + 1], str(i), values[-1 - i]] for i, student in enumerate(students)],
    )
    hostile = [*students, *values]
    for fmt in ("wide", "moodle", "canvas"):
        rows = parse(export_grades(out, fmt, ids=ids).path, bom=fmt == "wide")
        cells = [cell for row in rows for cell in row]
        for value in hostile:
            assert value not in cells, (fmt, value)
        guarded = [cell for cell in cells if cell.startswith("'")]
        assert all(cell[1:] in hostile for cell in guarded), (fmt, guarded)
        # wide: ids, email, name, section; moodle: email; canvas: name (Student), section
        expected = {
            "wide": [*students, *values, *values[4:]],
            "moodle": values[::2],
            "canvas": [*values[1::2], *values[4:]],
        }[fmt]
        assert sorted(cell[1:] for cell in guarded) == sorted(expected), fmt
        column = rows[0].index("a1")
        assert [row[column] for row in rows[-len(students) :]] == ["1"] * len(students), fmt


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, "summary.csv"),
        ("student_id,assignment\r\nalice,a1\r\n", "列 status, score, max_score がありません"),
        (
            "student_id,assignment,status,score,max_score\r\nalice,a1,done,1,2\r\n",
            "2 行目: status 'done'",
        ),
        (
            "student_id,assignment,status,score,max_score\r\nalice,a1,final,1,2\r\nalice,a1,final,1,2\r\n",
            "3 行目: 学生 'alice' の課題 a1 が 2 回あります",
        ),
        ("student_id,assignment,status,score,max_score\r\nalice,a1,final,,2\r\n", "score が空です"),
        ("student_id,assignment,status,score,max_score\r\nalice,a1,final,x,2\r\n", "score が数ではありません"),
    ],
)
def test_a_broken_summary_is_refused(tmp_path, content, expected):
    if content is not None:
        (tmp_path / "summary.csv").write_text(content, encoding="utf-8")
    with pytest.raises(ExportError) as error:
        export_grades(tmp_path, "wide")
    assert expected in str(error.value)
    assert not (tmp_path / "lms_wide.csv").exists()


def test_include_provisional_is_for_the_lms_formats(out):
    with pytest.raises(ExportError, match="moodle と canvas 用"):
        build_table(read_summary(out / "summary.csv"), "wide", include_provisional=True)


def test_export_help_explains_every_option():
    export = build_parser()._subparsers._group_actions[0].choices["export"]
    text = export.format_help()
    for option in ("OUT", "--format", "--ids", "--to", "--include-provisional", "--skip-unmapped"):
        assert option in text
    for action in export._actions:
        if action.dest != "help":
            assert action.help and len(action.help) > 20, action.dest


def test_command_line(out, mapping, tmp_path):
    target = tmp_path / "canvas.csv"
    command = [sys.executable, "-m", "autograder", "export", str(out), "--format", "canvas"]
    proc = subprocess.run(
        [*command, "--ids", str(mapping), "--to", str(target)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "学生 4 人 × 課題 2 個" in proc.stdout and "未提出 3 件" in proc.stdout
    assert "記述の採点待ちがある 1 件は空欄にしました: 'bob'/a1" in proc.stderr
    assert parse(target, bom=False)[1] == ["Points Possible", "", "", "", "", "5", "4"]

    unmapped = write_mapping(tmp_path / "few.csv", ["student_id", "canvas_id"], [["alice", "1"]])
    proc = subprocess.run([*command, "--ids", str(unmapped)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "対応表にない学生が 2 人います" in proc.stderr
    assert not (out / "lms_canvas.csv").exists()
