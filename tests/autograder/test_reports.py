"""The files written into OUT: CSV (exact rows), feedback pages, the class report."""

import base64
import csv
import html
import re
import warnings
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest

import course.hidden
from autograder.assignment import load_assignment
from autograder.model import ExerciseResult, SubmissionResult
from autograder.reports import (
    GRADES_COLUMNS,
    SUMMARY_COLUMNS,
    write_feedback,
    write_grades_csv,
    write_outputs,
    write_report,
    write_summary_csv,
)
from course import reference as ref
from course.checks import CheckFailure
from course.hidden.runner import LocalRunner

ASSIGNMENT = "ch01_activation"
HOSTILE = '<script>alert("x")</script>'
HIDDEN_DIR = Path(course.hidden.__file__).parent


@pytest.fixture(scope="module")
def spec():
    return load_assignment(ASSIGNMENT)


def hand_results() -> list[SubmissionResult]:
    """Two learners, given out of order; bob's notebook could not run, alice has hostile text."""
    bob = SubmissionResult(
        "bob",
        ASSIGNMENT,
        "bob/ch01_activation.ipynb",
        "b" * 64,
        [ExerciseResult("test_gates", 0.0, 3.0, "ノートブックを実行できませんでした。")],
        problems=["ノートブックの JSON が壊れています (broken file)", '=HYPERLINK("http://evil")'],
        ran=False,
        sandbox="rlimits",
    )
    alice = SubmissionResult(
        "alice",
        ASSIGNMENT,
        "alice/ch01_activation.ipynb",
        "a" * 64,
        [
            ExerciseResult("test_gates", 3.0, 3.0),
            ExerciseResult("why_not_xor", None, 2.0, manual=True),
            ExerciseResult("test_xor", 1.0, 2.0, f"XOR(1, 1) が違います。\n2 行目 {HOSTILE}"),
            ExerciseResult("test_step_function", 1 / 3, 1.0, "-1 を返しました"),
        ],
        problems=[f"セルを修復しました {HOSTILE}"],
        sandbox="bubblewrap",
    )
    return [bob, alice]


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel in a Japanese locale"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_grades_csv_rows_exactly(tmp_path):
    path = write_grades_csv(hand_results(), tmp_path / "grades.csv")
    assert read_csv(path) == [
        list(GRADES_COLUMNS),
        ["alice", ASSIGNMENT, "test_gates", "3", "3", ""],
        ["alice", ASSIGNMENT, "why_not_xor", "", "2", ""],
        ["alice", ASSIGNMENT, "test_xor", "1", "2", f"XOR(1, 1) が違います。\n2 行目 {HOSTILE}"],
        ["alice", ASSIGNMENT, "test_step_function", "0.3333", "1", "'-1 を返しました"],
        ["bob", ASSIGNMENT, "test_gates", "0", "3", "ノートブックを実行できませんでした。"],
    ]
    assert b"\r\n" in path.read_bytes()


def test_summary_csv_rows_exactly(tmp_path):
    path = write_summary_csv(hand_results(), tmp_path / "summary.csv")
    assert read_csv(path) == [
        list(SUMMARY_COLUMNS),
        ["alice", ASSIGNMENT, "4.3333", "8", "54.2", "true", "true", f"セルを修復しました {HOSTILE}"],
        [
            "bob",
            ASSIGNMENT,
            "0",
            "3",
            "0",
            "false",
            "false",
            'ノートブックの JSON が壊れています (broken file)\n=HYPERLINK("http://evil")',
        ],
    ]


def test_csv_with_specs_lists_every_graded_cell_in_notebook_order(tmp_path, spec):
    path = write_grades_csv(hand_results(), tmp_path / "grades.csv", {ASSIGNMENT: spec})
    rows = read_csv(path)[1:]
    graded = [c.grade_id for c in spec.cells if c.kind in ("tests", "answer")]
    assert [r[2] for r in rows if r[0] == "alice"] == graded
    assert ["bob", ASSIGNMENT, "test_relu", "0", "1", "この演習の採点結果がありません。"] in rows
    summary = read_csv(write_summary_csv(hand_results(), tmp_path / "summary.csv", {ASSIGNMENT: spec}))
    assert summary[1][:5] == ["alice", ASSIGNMENT, "4.3333", "17", "25.5"]


def test_csv_order_is_natural_and_a_later_result_replaces_an_earlier_one(tmp_path):
    def result(student, assignment, score):
        return SubmissionResult(student, assignment, "", "", [ExerciseResult("t", score, 1.0)])

    results = [result("s10", "ch02", 1), result("s2", "ch01", 0), result("s10", "ch01", 1), result("s2", "ch01", 1)]
    rows = read_csv(write_summary_csv(results, tmp_path / "summary.csv"))[1:]
    assert [(r[0], r[1], r[2]) for r in rows] == [("s2", "ch01", "1"), ("s10", "ch01", "1"), ("s10", "ch02", "1")]


def test_writers_are_idempotent_and_atomic(tmp_path, spec):
    results = hand_results()
    paths = write_outputs(tmp_path, results, {ASSIGNMENT: spec}, "見つかった提出: 2", "bubblewrap")
    before = {name: (p.read_bytes(), p.stat().st_mtime_ns) for name, p in paths.items()}
    again = write_outputs(tmp_path, list(reversed(results)), {ASSIGNMENT: spec}, "見つかった提出: 2", "bubblewrap")
    assert again == paths
    assert {name: (p.read_bytes(), p.stat().st_mtime_ns) for name, p in again.items()} == before
    results[1].exercises[2].score = 2.0  # a changed result replaces the old one
    write_outputs(tmp_path, results, {ASSIGNMENT: spec}, "見つかった提出: 2", "bubblewrap")
    assert read_csv(paths["grades.csv"])[3][3] == "2"
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")], "no temporary files left behind"


def test_write_outputs_layout_and_unsafe_names(tmp_path, spec):
    paths = write_outputs(tmp_path, hand_results(), {ASSIGNMENT: spec}, "", "")
    assert sorted(paths) == [
        "feedback/alice/ch01_activation.html",
        "feedback/bob/ch01_activation.html",
        "grades.csv",
        "report.html",
        "summary.csv",
    ]
    assert all(p.is_file() and p.parent.is_relative_to(tmp_path) for p in paths.values())
    evil = SubmissionResult("s1", "../evil", "", "", [])  # assignment ids are ours: a bad one is a bug
    with pytest.raises(ValueError, match="cannot be used"):
        write_outputs(tmp_path / "other", [evil], {}, "", "")
    assert not (tmp_path / "other").exists()


# Student ids a learner can choose (folder or file names), each of which used to break the outputs.
UNSAFE_IDS = [
    "../evil",
    "a\\b",
    "山" * 80,  # 240 bytes of UTF-8
    "x" * 240,
    "=cmd|' /C calc'!A0",
    "ctl\x1b[31m\nname",
    "山田 太郎",
    "CON",
    ".hidden",
    "",
    "Alice",
    "alice",
]


def test_every_student_id_gets_its_own_feedback_page_and_a_working_link(tmp_path, spec):
    results = [
        SubmissionResult(student, ASSIGNMENT, f"{student}/x.ipynb", "", [ExerciseResult("test_gates", 1.0, 3.0, "m")])
        for student in UNSAFE_IDS
    ]
    paths = write_outputs(tmp_path / "out", results, {ASSIGNMENT: spec}, "", "")
    out = (tmp_path / "out").resolve()
    pages = [p for name, p in paths.items() if name.startswith("feedback/")]
    assert len(pages) == len(UNSAFE_IDS), "one page per student, none shared"
    for page in pages:
        assert page.resolve().parent.parent == out / "feedback"
        assert len(page.parent.name.encode()) < 100
    assert not [p for p in tmp_path.rglob("*") if not p.resolve().is_relative_to(out)], "nothing outside OUT"
    report = paths["report.html"].read_text(encoding="utf-8")
    rows = re.findall(r'<tr><td>([^<]*)</td><td class=num><a href="([^"]+)">', report.split("学生ごとの合計")[1])
    assert sorted(html.unescape(student) for student, _ in rows) == sorted(UNSAFE_IDS)
    opened = []
    for student, href in rows:  # every link opens the page of the student of its row
        page = out / unquote(html.unescape(href))
        assert f"<tr><th>学生 ID</th><td>{student}</td></tr>" in page.read_text(encoding="utf-8")
        opened.append(page)
    assert sorted(opened) == sorted(pages)
    assert "feedback/alice/ch01_activation.html" in paths  # a portable id is its own folder name


FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil")',
    "+1",
    "-1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "\u3000=1+1",  # ideographic space, as a Japanese IME types it
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "  ＝1+1",
]


@pytest.mark.parametrize("text", FORMULAS, ids=range(len(FORMULAS)))
def test_every_text_cell_a_spreadsheet_would_evaluate_is_guarded(text, tmp_path):
    result = SubmissionResult(
        text, ASSIGNMENT, "", "", [ExerciseResult("test_gates", 1.0, 3.0, text)], problems=[text], ran=False
    )
    grades = read_csv(write_grades_csv([result], tmp_path / "grades.csv"))
    summary = read_csv(write_summary_csv([result], tmp_path / "summary.csv"))
    assert grades[1] == ["'" + text, ASSIGNMENT, "test_gates", "1", "3", "'" + text]
    assert summary[1] == ["'" + text, ASSIGNMENT, "1", "3", "33.3", "false", "false", "'" + text]


def test_plain_text_and_our_numbers_are_not_guarded(tmp_path):
    result = SubmissionResult("1+1", ASSIGNMENT, "", "", [ExerciseResult("test_gates", 1 / 3, 3.0, "a = 1")])
    grades = read_csv(write_grades_csv([result], tmp_path / "grades.csv"))
    assert grades[1] == ["1+1", ASSIGNMENT, "test_gates", "0.3333", "3", "a = 1"]


def test_feedback_page_content_and_escaping(tmp_path, spec):
    alice, bob = hand_results()[1], hand_results()[0]
    page = write_feedback(alice, spec, tmp_path / "alice.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ja">' in page
    assert "<script" not in page and "&lt;script&gt;" in page  # message and problem escaped
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no external assets"
    assert "alice" in page and ASSIGNMENT in page
    assert "合計 <strong>4.3333 / 17 点</strong>" in page  # missing exercises count 0 out of their points
    assert "採点者による採点待ち" in page and "記述問題 1 問 (2 点分)" in page
    assert "セルを修復しました" in page
    # notebook order, with the section heading as the exercise title
    ids = re.findall(r'<span class="gid">\((\w+)\)</span>', page)
    assert ids == [c.grade_id for c in spec.cells if c.kind in ("tests", "answer")]
    assert "演習 1: AND・NAND・OR" in page
    found = re.findall(r'<span class="mark \w+">(.)</span><span>[^<]*</span><span class="gid">\((\w+)\)', page)
    marks = {grade_id: mark for mark, grade_id in found}
    assert marks["test_gates"] == "✓" and marks["test_xor"] == "△" and marks["test_relu"] == "✗"
    assert marks["why_not_xor"] == "✎"
    assert '<pre class="message">XOR(1, 1) が違います。\n2 行目 &lt;script&gt;' in page  # pre-wrapped, as is

    page = write_feedback(bob, spec, tmp_path / "bob.html").read_text(encoding="utf-8")
    assert "ノートブックを実行できなかった" in page and "broken file" in page


def _real_result(spec, student: str, namespace: dict) -> SubmissionResult:
    """A result whose messages come from the real hidden checks, run on ``namespace``."""
    exercises = []
    for cell in spec.cells:
        if cell.kind == "answer":
            exercises.append(ExerciseResult(cell.grade_id, None, cell.points, manual=True))
        elif cell.kind == "tests":
            try:
                course.hidden.run_check(ASSIGNMENT, cell.check, LocalRunner(dict(namespace)), student)
            except CheckFailure as failure:
                exercises.append(ExerciseResult(cell.grade_id, 0.0, cell.points, str(failure)))
            else:
                exercises.append(ExerciseResult(cell.grade_id, cell.points, cell.points))
    return SubmissionResult(student, ASSIGNMENT, f"{student}/{ASSIGNMENT}.ipynb", "c" * 64, exercises)


def _buggy_namespace() -> dict:
    def softmax(x):  # over the wrong axis
        e = np.exp(x - x.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    return {
        "AND": ref.AND,
        "NAND": ref.NAND,
        "OR": lambda x1, x2: np.array([x1, x2]),  # not one number
        "step_function": lambda x: (np.asarray(x) >= 0).astype(int),  # the known mistake at 0
        "sigmoid": lambda x: 1 / (1 + np.exp(-x)),  # overflows
        "relu": ref.relu,
        "softmax": softmax,
        # XOR and three_layer_forward are not defined
    }


def _code_lines(path: Path) -> list[str]:
    """Lines of a check module that are code (not prose: docstrings, comments, message strings)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if len(line) >= 12 and not line.startswith(("#", '"', "'", 'f"', "f'", ")", "]")):
            lines.append(line)
    return lines


def test_feedback_never_shows_hidden_inputs_or_checking_code(tmp_path, spec):
    result = _real_result(spec, "carol", _buggy_namespace())
    messages = {e.grade_id: e.message for e in result.exercises}
    assert "x = 0 のときは 0 を返します" in messages["test_step_function"]  # real diagnostics
    assert "オーバーフロー" in messages["test_sigmoid"] and "XOR が定義されていません" in messages["test_xor"]
    page = html.unescape(write_feedback(result, spec, tmp_path / "carol.html").read_text(encoding="utf-8"))
    check_files = sorted((HIDDEN_DIR / "checks").glob("*.py"))
    lines = [line for path in check_files for line in _code_lines(path)]
    assert len(lines) > 40
    leaked = [line for line in lines if line in page]
    assert not leaked, f"hidden check code in the feedback page: {leaked}"
    for secret in ("run_hidden_check", "BEGIN HIDDEN", "course.hidden", "rng.standard_normal", "_random_inputs"):
        assert secret not in page
    for cell in spec.tests:  # not even the public tests' source
        assert cell.source.splitlines()[0] not in page


def _pngs(page: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_report_with_results(tmp_path, spec):
    results = [*hand_results(), _real_result(spec, "carol", _buggy_namespace())]
    discovery = f"3 件の提出を見つけました。無視したファイル: notes.txt {HOSTILE}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing Japanese glyph is a UserWarning of matplotlib
        path = write_report(results, {ASSIGNMENT: spec}, discovery, tmp_path / "report.html", "bubblewrap (名前空間)")
    page = path.read_text(encoding="utf-8")
    assert "<script" not in page and page.count("&lt;script&gt;") >= 3  # discovery, message, problem
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "self-contained"
    pngs = _pngs(page)
    assert len(pngs) == 3 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    assert "3 件の提出を見つけました" in page and "bubblewrap (名前空間)" in page
    assert "XOR が定義されていません" in page  # a frequent diagnostic
    failed = page.split("実行できなかった提出 (failed to run)")[1].split("<h3>")[0]
    assert "bob" in failed and "broken file" in failed and "alice" not in failed
    totals = page.split("学生ごとの合計 (totals)")[1]
    assert totals.index("alice") < totals.index("bob") < totals.index("carol")
    assert 'href="feedback/alice/ch01_activation.html"' in totals


def test_report_counts_diagnostics_that_differ_only_in_numbers_together(tmp_path):
    results = [
        SubmissionResult(
            f"s{i}", ASSIGNMENT, "", "", [ExerciseResult("test_relu", 0.0, 1.0, f"最大のずれは 0.{i}7 です。")]
        )
        for i in range(1, 5)
    ]
    page = write_report(results, {}, "", tmp_path / "report.html", "").read_text(encoding="utf-8")
    table = page.split("most frequent diagnostics")[1].split("</table>")[0]
    assert "<td class=num>4</td>" in table and "数値だけが違うもの 4 通り" in table
    assert table.count("最大のずれは") == 1


def test_report_without_results(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        page = write_report([], {}, "提出物が見つかりません", tmp_path / "report.html", "rlimits").read_text("utf-8")
    assert "採点結果はありません (0 件)" in page and "提出物が見つかりません" in page and "rlimits" in page
    assert _pngs(page) == []


def test_report_figures_use_the_japanese_font(tmp_path, spec):
    import matplotlib

    write_report(hand_results(), {ASSIGNMENT: spec}, "", tmp_path / "report.html", "")
    assert matplotlib.rcParams["font.family"][0] == "IPAexGothic"
