"""The files written into OUT: CSV (exact rows), feedback pages, the class report."""

import csv
import html
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from course.checks import CheckFailure, Properties
from course.hidden.runner import LocalRunner

ASSIGNMENT = "ch01_activation"
HOSTILE = '<script>alert("x")</script>'
HIDDEN_DIR = Path(course.hidden.__file__).parent
SVG = "{http://www.w3.org/2000/svg}"


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
        ["alice", ASSIGNMENT, "test_gates", "3", "3", "", "auto", "full", ""],
        ["alice", ASSIGNMENT, "why_not_xor", "", "2", "", "manual", "pending", ""],
        ["alice", ASSIGNMENT, "test_xor", "1", "2", f"XOR(1, 1) が違います。\n2 行目 {HOSTILE}", "auto", "partial", ""],
        ["alice", ASSIGNMENT, "test_step_function", "0.3333", "1", "'-1 を返しました", "auto", "partial", ""],
        ["bob", ASSIGNMENT, "test_gates", "0", "3", "ノートブックを実行できませんでした。", "auto", "zero", ""],
    ]
    assert b"\r\n" in path.read_bytes()


def test_summary_csv_rows_exactly(tmp_path):
    path = write_summary_csv(hand_results(), tmp_path / "summary.csv")
    assert read_csv(path) == [
        list(SUMMARY_COLUMNS),
        # status, auto score/max/%, written score/max/pending, total score/max/% (none while provisional)
        ["alice", ASSIGNMENT, "provisional", "4.3333", "6", "72.2", "", "2", "1", "4.3333", "8", "", "true"]
        + [f"セルを修復しました {HOSTILE}"],
        ["bob", ASSIGNMENT, "final", "0", "3", "0", "0", "0", "0", "0", "3", "0", "false"]
        + ['ノートブックの JSON が壊れています (broken file)\n=HYPERLINK("http://evil")'],
    ]


def test_csv_with_specs_lists_every_graded_cell_in_notebook_order(tmp_path, spec):
    path = write_grades_csv(hand_results(), tmp_path / "grades.csv", {ASSIGNMENT: spec})
    rows = read_csv(path)[1:]
    graded = [c.grade_id for c in spec.cells if c.kind in ("tests", "answer")]
    assert [r[2] for r in rows if r[0] == "alice"] == graded
    assert ["bob", ASSIGNMENT, "test_relu", "0", "1", "この演習の採点結果がありません。", "auto", "zero"] in [
        r[:8] for r in rows
    ]
    assert {r[2]: r[8] for r in rows if r[0] == "alice"}["test_gates"] == "演習 1: AND・NAND・OR"
    summary = _summary_rows(write_summary_csv(hand_results(), tmp_path / "summary.csv", {ASSIGNMENT: spec}))
    alice = summary[0]
    assert [alice[k] for k in ("status", "auto_score", "auto_max", "auto_percent", "manual_max", "score")] == [
        "provisional",
        "4.3333",
        "17",
        "25.5",
        "2",
        "4.3333",
    ]


def test_csv_order_is_natural_and_a_later_result_replaces_an_earlier_one(tmp_path):
    def result(student, assignment, score):
        return SubmissionResult(student, assignment, "", "", [ExerciseResult("t", score, 1.0)])

    results = [result("s10", "ch02", 1), result("s2", "ch01", 0), result("s10", "ch01", 1), result("s2", "ch01", 1)]
    rows = _summary_rows(write_summary_csv(results, tmp_path / "summary.csv"))
    assert [(r["student_id"], r["assignment"], r["score"], r["status"]) for r in rows] == [
        ("s2", "ch01", "1", "final"),
        ("s2", "ch02", "", "missing"),
        ("s10", "ch01", "1", "final"),
        ("s10", "ch02", "1", "final"),
    ]


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
    assert grades[1] == ["'" + text, ASSIGNMENT, "test_gates", "1", "3", "'" + text, "auto", "partial", ""]
    assert summary[1] == ["'" + text, ASSIGNMENT, "final", "1", "3", "33.3", "0", "0", "0", "1", "3", "33.3"] + [
        "false",
        "'" + text,
    ]


def test_plain_text_and_our_numbers_are_not_guarded(tmp_path):
    result = SubmissionResult("1+1", ASSIGNMENT, "", "", [ExerciseResult("test_gates", 1 / 3, 3.0, "a = 1")])
    grades = read_csv(write_grades_csv([result], tmp_path / "grades.csv"))
    assert grades[1] == ["1+1", ASSIGNMENT, "test_gates", "0.3333", "3", "a = 1", "auto", "partial", ""]


def test_feedback_page_content_and_escaping(tmp_path, spec):
    alice, bob = hand_results()[1], hand_results()[0]
    page = write_feedback(alice, spec, tmp_path / "alice.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ja">' in page
    assert "<script" not in page and "&lt;script&gt;" in page  # message and problem escaped
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no external assets"
    assert "alice" in page and ASSIGNMENT in page
    # missing exercises count 0 out of their points; the written answer is pending, not 0
    assert re.search(r"自動採点 \(autograded\).*4.3333 / 17 点.*25.5%", page)
    assert re.search(r"記述問題 \(written\).*採点待ち 1 問 \(2 点分\)", page)
    assert re.search(r"合計 \(total\).*4.3333 / 19 点.*暫定", page)
    assert "採点者による採点待ち" in page and "記述問題 1 問 (2 点分)" in page
    assert "セルを修復しました" in page
    # autograded exercises, then written ones, each in notebook order, with the section heading as the title
    ids = re.findall(r'<span class="gid">\((\w+)\)</span>', page)
    graded = [c for c in spec.cells if c.kind in ("tests", "answer")]
    assert ids == [c.grade_id for c in graded if c.kind == "tests"] + [c.grade_id for c in graded if c.kind == "answer"]
    assert "演習 1: AND・NAND・OR" in page
    found = re.findall(
        r'<span class="mark \w+">(.)</span><span class="title">.*?</span><span class="gid">\((\w+)\)', page
    )
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


def _svgs(page: str) -> list[ET.Element]:
    """The inline SVG figures of a page, each parsed as XML (so each is well-formed, its text escaped)."""
    figures = re.findall(r"<figure><svg\b.*?</svg><figcaption>", page, flags=re.DOTALL)
    assert len(figures) == page.count("<svg") == page.count("<figure>"), "every figure is one inline SVG"
    return [ET.fromstring(f.removeprefix("<figure>").removesuffix("<figcaption>")) for f in figures]


def _bars(svg: ET.Element, color: str) -> list[tuple[int, float, float]]:
    """(data-count, width, height) of the bars of one colour."""
    return [
        (int(r.get("data-count")), float(r.get("width")), float(r.get("height")))
        for r in svg.iter(f"{SVG}rect")
        if r.get("fill") == color and r.get("data-count") is not None
    ]


def test_report_with_results(tmp_path, spec):
    results = [*hand_results(), _real_result(spec, "carol", _buggy_namespace())]
    discovery = f"3 件の提出を見つけました。無視したファイル: notes.txt {HOSTILE}"
    path = write_report(results, {ASSIGNMENT: spec}, discovery, tmp_path / "report.html", "bubblewrap (名前空間)")
    page = path.read_text(encoding="utf-8")
    assert "<script" not in page and page.count("&lt;script&gt;") >= 3  # discovery, message, problem
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "self-contained"
    svgs = _svgs(page)
    assert len(svgs) == 3  # runs, the assignment's distribution, diagnostics
    for svg in svgs:
        assert svg.tag == f"{SVG}svg" and svg.get("role") == "img" and svg.get("aria-label")
        assert svg[0].tag == f"{SVG}title" and svg[0].text == svg.get("aria-label")
        assert svg.get("viewBox") and "max-width: 100%" in svg.get("style")
        assert "IPAexGothic" in svg.get("font-family")  # the page's font stack
        for element in svg.iter():
            assert element.tag.removeprefix(SVG) not in ("script", "a", "image", "use", "foreignObject")
            assert not any("href" in name or "on" == name[:2] for name in element.attrib), element.attrib
    texts = [" ".join(t.itertext()) for svg in svgs for t in svg.iter(f"{SVG}text")]
    for label in ["提出数", "実行できた (ran)", f"{ASSIGNMENT}: 演習ごとの得点 (score per exercise)", "人数"]:
        assert label in texts
    assert "3 件の提出を見つけました" in page and "bubblewrap (名前空間)" in page
    assert "XOR が定義されていません" in page  # a frequent diagnostic
    failed = page.split("実行できなかった提出 (failed to run)")[1].split("<h3>")[0]
    assert "bob" in failed and "broken file" in failed and "alice" not in failed
    totals = page.split("学生ごとの合計 (totals)")[1]
    assert totals.index("alice") < totals.index("bob") < totals.index("carol")
    assert 'href="feedback/alice/ch01_activation.html"' in totals


def test_report_bars_are_proportional_to_the_counts(tmp_path):
    scores = {"s1": 1.0, "s2": 1.0, "s3": 1.0, "s4": 0.0}  # test_gates: 3 full, 1 zero; others partial
    results = [
        SubmissionResult(
            s,
            ASSIGNMENT,
            "",
            "",
            [ExerciseResult("test_gates", g, 1.0, "" if g else "違います"), ExerciseResult("test_xor", 0.5, 1.0, "x")],
            ran=s != "s4",
        )
        for s, g in scores.items()
    ]
    runs, distribution, diagnostics = _svgs(write_report(results, {}, "", tmp_path / "r.html", "").read_text("utf-8"))
    (full,) = _bars(distribution, "#2da44e")
    (zero,) = _bars(distribution, "#cf222e")
    (partial,) = _bars(distribution, "#d4a72c")
    assert (full[0], zero[0], partial[0]) == (3, 1, 4)
    assert full[1] == pytest.approx(3 * zero[1], rel=1e-4) and partial[1] == pytest.approx(4 * zero[1], rel=1e-4)
    # the histogram of the autograded percentages: s4 at 25% (bin 20–30), three at 75% (bin 70–80)
    columns = sorted(_bars(distribution, "#0969da"))
    assert [c[0] for c in columns] == [1, 3] and columns[1][2] == pytest.approx(3 * columns[0][2], rel=1e-4)
    ((ran, ran_width, _),) = _bars(runs, "#2da44e")
    ((failed, failed_width, _),) = _bars(runs, "#cf222e")
    assert (ran, failed) == (3, 1) and ran_width == pytest.approx(3 * failed_width, rel=1e-4)
    counts = sorted(_bars(diagnostics, "#8250df"))
    assert [c[0] for c in counts] == [1, 4] and counts[1][1] == pytest.approx(4 * counts[0][1], rel=1e-4)
    ticks = [t.text for t in runs.iter(f"{SVG}text") if (t.text or "").isdigit()]
    assert ticks == [str(i) for i in range(len(ticks))] and len(ticks) >= 4  # integer ticks 0, 1, 2, 3…


def test_report_figures_escape_hostile_names(tmp_path):
    assignment = "a<b>&\"c'"
    grade_id = f"test_{HOSTILE}&amp;"
    result = SubmissionResult("s1", assignment, "", "", [ExerciseResult(grade_id, 0.0, 1.0, f"{HOSTILE} 違います")])
    page = write_report([result], {}, "", tmp_path / "report.html", "").read_text(encoding="utf-8")
    assert "<script" not in page
    svgs = _svgs(page)  # parsing would fail on an unescaped < & or "
    assert len(svgs) == 3
    texts = [" ".join(t.itertext()) for svg in svgs for t in svg.iter(f"{SVG}text")]
    assert assignment in texts and grade_id in texts and f"#1 {assignment}/{grade_id}" in texts
    assert any(assignment in svg.get("aria-label") for svg in svgs)
    assert "test_&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;" in page.split("<svg")[2]


def test_writing_the_report_does_not_import_matplotlib(tmp_path):
    code = (
        "import sys\n"
        "from autograder.model import ExerciseResult, SubmissionResult\n"
        "from autograder.reports import write_report\n"
        "r = SubmissionResult('s1', 'a1', '', '', [ExerciseResult('t', 0.0, 1.0, 'x')], ran=False)\n"
        f"write_report([r], {{}}, '', {str(tmp_path / 'report.html')!r}, '')\n"
        "print('matplotlib' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert (tmp_path / "report.html").read_text(encoding="utf-8").count("<svg") == 3


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


def _property_failure(student: str, value_ok: bool, copy_ok: bool) -> SubmissionResult:
    """A test_relu result from a real Properties list: the values, then no mutation (which needs them)."""

    def holds(ok: bool, message: str):
        def check() -> None:
            if not ok:
                raise CheckFailure(message)

        return check

    try:
        with Properties() as relu:
            relu.check("値", holds(value_ok, f"relu の値が違います ({student})。"))
            relu.check("入力を書き換えない", holds(copy_ok, "relu が x を書き換えています。"), needs=["値"])
    except CheckFailure as failure:
        exercise = ExerciseResult("test_relu", 0.0, 1.0, str(failure), properties=failure.properties)
    return SubmissionResult(student, ASSIGNMENT, "", "", [exercise])


def test_report_counts_failed_properties_and_groups_diagnostics_by_their_cause(tmp_path):
    results = [_property_failure("s1", False, True), _property_failure("s2", True, False)]
    results += [_property_failure(f"t{i}", True, False) for i in range(3)]
    page = write_report(results, {}, "", tmp_path / "report.html", "").read_text(encoding="utf-8")
    table = page.split("failed properties")[1].split("</table>")[0]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in table.split("<tr>")[2:]]
    assert rows == [
        [ASSIGNMENT, "test_relu", "入力を書き換えない", "4", "1", "0"],
        [ASSIGNMENT, "test_relu", "値", "1", "0", "4"],
    ]
    diagnostics = page.split("most frequent diagnostics")[1].split("</table>")[0]
    assert "性質ごとの結果" not in diagnostics  # counted by the cause, without the list
    assert "<td class=num>4</td>" in diagnostics and diagnostics.count("書き換えています") == 1
    feedback = write_feedback(results[0], None, tmp_path / "feedback.html").read_text(encoding="utf-8")
    assert "✗ 値 (上のとおり)" in feedback and "– 入力を書き換えない" in feedback  # the learner sees the list


def test_report_without_results(tmp_path):
    page = write_report([], {}, "提出物が見つかりません", tmp_path / "report.html", "rlimits").read_text("utf-8")
    assert "採点結果はありません (0 件)" in page and "提出物が見つかりません" in page and "rlimits" in page
    assert "<svg" not in page and "<figure" not in page and "<img" not in page


# --------------------------------------------------------------------------- honest reports (issue 12)

DROPOUT = "ch08_dropout"  # 9 autograded points (five tests cells) and 7 written points (three answers)


def _perfect(spec, student: str, pending: bool = True) -> SubmissionResult:
    """Full marks on every tests cell; written answers awaiting the grader (or graded in full)."""
    exercises = [
        ExerciseResult(
            c.grade_id, None if pending and c.kind == "answer" else c.points, c.points, "", c.kind == "answer"
        )
        for c in spec.cells
        if c.kind in ("tests", "answer")
    ]
    return SubmissionResult(student, spec.assignment, f"{student}/{spec.assignment}.ipynb", "d" * 64, exercises)


def _summary_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_summary_csv_counts_written_answers_awaiting_a_grader_as_pending_not_zero(tmp_path):
    spec = load_assignment(DROPOUT)
    rows = _summary_rows(write_summary_csv([_perfect(spec, "amy")], tmp_path / "summary.csv", {DROPOUT: spec}))
    assert len(rows) == 1
    row = rows[0]
    # the autograded part on its own: a perfect notebook is 100%, not 56%
    assert (row["auto_score"], row["auto_max"], row["auto_percent"]) == ("9", "9", "100")
    # the written part is pending, not 0
    assert (row["manual_score"], row["manual_max"], row["manual_pending"]) == ("", "7", "3")
    # the total says it is provisional and claims no percentage yet
    assert (row["status"], row["score"], row["max_score"], row["percent"]) == ("provisional", "9", "16", "")

    graded = _summary_rows(
        write_summary_csv([_perfect(spec, "amy", pending=False)], tmp_path / "final.csv", {DROPOUT: spec})
    )[0]
    assert (graded["status"], graded["score"], graded["max_score"], graded["percent"]) == ("final", "16", "16", "100")
    assert (graded["manual_score"], graded["manual_pending"]) == ("7", "0")


def test_feedback_page_shows_the_autograded_and_written_parts_separately(tmp_path):
    spec = load_assignment(DROPOUT)
    page = write_feedback(_perfect(spec, "amy"), spec, tmp_path / "amy.html").read_text(encoding="utf-8")
    assert "56.2%" not in page
    totals = page.split('<table class="totals">')[1].split("</table>")[0]
    assert re.search(r"自動採点 \(autograded\).*9 / 9 点.*100%", totals)
    assert re.search(r"記述問題 \(written\).*採点待ち 3 問 \(7 点分\)", totals)
    assert re.search(r"合計 \(total\).*9 / 16 点.*暫定", totals)
    auto = page.split("<h2>自動採点の演習 (autograded)</h2>")[1].split("<h2>")[0]
    written = page.split("<h2>記述問題 (written, graded by hand)</h2>")[1].split("<h2>")[0]
    assert "test_dropout_forward" in auto and "dropout_conventions" not in auto
    assert "dropout_conventions" in written and "dropout_ensemble" in written and "test_dropout" not in written
    assert "dropout_mc_conventions" in written
    assert written.count("採点者による採点待ち") == 3

    page = write_feedback(_perfect(spec, "amy", pending=False), spec, tmp_path / "f.html").read_text("utf-8")
    totals = page.split('<table class="totals">')[1].split("</table>")[0]
    assert re.search(r"合計 \(total\).*16 / 16 点.*100%", totals) and "暫定" not in totals


def test_report_shows_the_autograded_and_written_parts_separately(tmp_path):
    spec = load_assignment(DROPOUT)
    page = write_report([_perfect(spec, "amy")], {DROPOUT: spec}, "", tmp_path / "r.html", "").read_text("utf-8")
    totals = page.split("学生ごとの合計 (totals)")[1]
    row = re.search(r"<tr><td>amy</td>(.*?)</tr>", totals).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert len(cells) == 4  # ch08, autograded total, written total, total
    assert "9 / 9" in cells[0] and "採点待ち" in cells[0]
    assert "9 / 9" in cells[1] and "100%" in cells[1]
    assert "採点待ち" in cells[2] and "7 点" in cells[2]
    assert "9 / 16" in cells[3] and "暫定" in cells[3] and "56.2%" not in cells[3]
    table = page.split("<h3>ch08_dropout")[1].split("</table>")[0]
    assert "記述" in table and "自動" in table  # the kind of each exercise


def _one(student: str, assignment: str, score: float, max_score: float = 1.0) -> SubmissionResult:
    return SubmissionResult(student, assignment, "", "", [ExerciseResult("t", score, max_score)])


def test_totals_cover_every_assignment_of_the_run_and_show_missing_submissions(tmp_path):
    # amy submitted both assignments, ben only the first: ben's total is 1 of 3, not 1 of 1
    results = [_one("amy", "ch01", 1.0), _one("amy", "ch02", 2.0, 2.0), _one("ben", "ch01", 1.0)]
    page = write_report(results, {}, "", tmp_path / "r.html", "").read_text("utf-8")
    totals = page.split("学生ごとの合計 (totals)")[1]
    ben = re.search(r"<tr><td>ben</td>(.*?)</tr>", totals).group(1)
    assert "未提出" in ben
    assert "1 / 3" in ben and "33.3%" in ben and "100%" not in ben
    assert "未提出 1 件を 0 点" in ben
    summary = _summary_rows(write_summary_csv(results, tmp_path / "summary.csv"))
    missing = [r for r in summary if r["status"] == "missing"]
    assert [(r["student_id"], r["assignment"], r["score"], r["max_score"]) for r in missing] == [
        ("ben", "ch02", "", "2")
    ]
    assert "未提出" in missing[0]["problems"]

    # the assignments the instructor asked for count even when nobody submitted one of them
    page = write_report(results, {}, "", tmp_path / "r2.html", "", assignments=["ch01", "ch02", "ch03"])
    totals = page.read_text("utf-8").split("学生ごとの合計 (totals)")[1]
    assert "<th class=num>ch03</th>" in totals
    amy = re.search(r"<tr><td>amy</td>(.*?)</tr>", totals).group(1)
    assert amy.count("未提出") >= 1
    summary = _summary_rows(write_summary_csv(results, tmp_path / "s2.csv", assignments=["ch01", "ch02", "ch03"]))
    assert {(r["student_id"], r["assignment"]) for r in summary if r["status"] == "missing"} == {
        ("ben", "ch02"),
        ("amy", "ch03"),
        ("ben", "ch03"),
    }


def test_written_questions_are_labelled_with_their_own_title():
    from autograder.assignment import known_assignments
    from autograder.reports import exercise_titles

    for assignment in known_assignments():
        spec = load_assignment(assignment)
        titles = exercise_titles(spec)
        graded = [c for c in spec.cells if c.kind in ("tests", "answer")]
        for before, cell in zip([None, *graded], graded):
            if cell.kind != "answer":
                continue
            title = titles[cell.grade_id]
            assert title and len(title) <= 100, (assignment, cell.grade_id, title)
            assert not title.startswith(("#", "**", "演習")), (assignment, cell.grade_id, title)
            if before is not None:
                assert title != titles[before.grade_id], (
                    f"{assignment}/{cell.grade_id} has the previous exercise's title"
                )
    titles = exercise_titles(load_assignment("ch04_backprop_layers"))
    assert titles["why_db_sum"].startswith("Affine 層の逆伝播で、バイアスの勾配 `db` をバッチの **平均** ではなく")
    assert exercise_titles(load_assignment("ch01_activation"))["why_not_xor"].startswith("2 入力の論理関数 (4 つの入力")


def test_a_written_question_title_comes_from_its_heading_or_bold_title_first():
    from autograder.assignment import AssignmentSpec, CellSpec
    from autograder.reports import exercise_titles

    def spec_with(question: str, answer: str = "**模範解答**: …") -> AssignmentSpec:
        return AssignmentSpec(
            "x",
            (
                CellSpec("markdown", "## 演習 1: 何か"),
                CellSpec("tests", "", "test_a", 1.0, "a"),
                CellSpec("markdown", question),
                CellSpec("answer", answer, "why", 2.0),
            ),
        )

    assert exercise_titles(spec_with("**問 2 (XOR と直線)**: 次のセルに答えてください。"))["why"] == "問 2 (XOR と直線)"
    assert exercise_titles(spec_with("**問**: なぜですか? 理由も。"))["why"] == "なぜですか?"
    assert (
        exercise_titles(spec_with("前置き。\n\n**記述問題**: `x` は\nなぜ 0 か。続き。"))["why"] == "`x` はなぜ 0 か。"
    )
    assert exercise_titles(spec_with("**問**: a", "### 自分の見出し\n**模範解答**: …"))["why"] == "自分の見出し"
    long = exercise_titles(spec_with("**問**: " + "学習率 learning_rate を大きくすると " * 10 + "どうなるか。"))["why"]
    assert long.endswith("…(以下省略)") and len(long) <= 100
    kept = long.removesuffix("…(以下省略)")
    full = ("学習率 learning_rate を大きくすると " * 10).strip()
    assert full.startswith(kept) and not re.match(r"\w\w", full[len(kept) - 1 : len(kept) + 1], re.ASCII), long


INLINE = [
    ("演習 1: 乗算レイヤ `MulLayer`", "演習 1: 乗算レイヤ <code>MulLayer</code>", "演習 1: 乗算レイヤ MulLayer"),
    ("**平均** ではなく *和*", "<strong>平均</strong> ではなく <em>和</em>", "平均 ではなく 和"),
    ("`a*b*c` と **`x`**", "<code>a*b*c</code> と <strong><code>x</code></strong>", "a*b*c と x"),
    ("`<script>alert(1)</script>`", "<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>", "<script>alert(1)</script>"),
    (
        '**<img src=x onerror="a()">**',
        "<strong>&lt;img src=x onerror=&quot;a()&quot;&gt;</strong>",
        '<img src=x onerror="a()">',
    ),
    ("2 * 3 * 4 と **閉じない", "2 * 3 * 4 と **閉じない", "2 * 3 * 4 と **閉じない"),
    ("$w_1 * x_1 * b$ と `` a`b ``", "$w_1 * x_1 * b$ と <code>a`b</code>", "$w_1 * x_1 * b$ と a`b"),
    ("[リンク](javascript:alert(1)) & <b>", "リンク &amp; &lt;b&gt;", "リンク & <b>"),
    ("\\*星\\* と \\`", "*星* と `", "*星* と `"),
    ("*a **b* c**", "*a <strong>b* c</strong>", "*a b* c"),  # never misnested
    ("&amp; <strong>x</strong>", "&amp;amp; &lt;strong&gt;x&lt;/strong&gt;", "&amp; <strong>x</strong>"),
]


@pytest.mark.parametrize(("markdown", "as_html", "as_text"), INLINE, ids=range(len(INLINE)))
def test_inline_markdown_is_rendered_after_escaping_everything(markdown, as_html, as_text):
    from autograder.reports import inline_markdown_html, inline_markdown_text

    assert inline_markdown_html(markdown) == as_html
    assert inline_markdown_text(markdown) == as_text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("*`_$\\[]()<>&\"'!x 日\n\x00")), max_size=40))
def test_inline_markdown_makes_only_our_tags_well_nested(text):
    from autograder.reports import inline_markdown_html, inline_markdown_text

    rendered = inline_markdown_html(text)
    stack = []
    for tag in re.findall(r"<[^>]*>?", rendered):  # every "<" starts one of our tags
        closing, name = re.fullmatch(r"<(/?)(code|strong|em)>", tag).groups()
        if closing:
            assert stack.pop() == name, rendered
        else:
            stack.append(name)
    assert not stack, rendered
    outside = re.sub(r"</?(code|strong|em)>", "", rendered)
    assert not set("<>\"'") & set(outside), rendered  # everything else escaped
    assert inline_markdown_text(text) == html.unescape(outside)


def test_headings_are_rendered_in_pages_and_plain_text_in_csv(tmp_path):
    spec = load_assignment("ch04_backprop_layers")
    result = _perfect(spec, "amy")
    page = write_feedback(result, spec, tmp_path / "amy.html").read_text(encoding="utf-8")
    assert "演習 1: 乗算レイヤ <code>MulLayer</code>" in page
    assert "`" not in page.split("<body>")[1]  # no Markdown backticks anywhere on the page
    assert "<code>db</code>" in page and "<strong>平均</strong>" in page  # the written question's title
    report = write_report([result], {spec.assignment: spec}, "", tmp_path / "r.html", "").read_text("utf-8")
    assert "演習 1: 乗算レイヤ <code>MulLayer</code>" in report and "`" not in report.split("<body>")[1]
    rows = _summary_rows(write_grades_csv([result], tmp_path / "grades.csv", {spec.assignment: spec}))
    titles = {r["grade_id"]: r["title"] for r in rows}
    assert titles["test_mul_layer"] == "演習 1: 乗算レイヤ MulLayer"
    assert titles["why_db_sum"].startswith("Affine 層の逆伝播で、バイアスの勾配 db をバッチの 平均 ではなく 和 にした")
    assert {r["grade_id"]: (r["part"], r["status"]) for r in rows}["why_db_sum"] == ("manual", "pending")
    assert {r["grade_id"]: (r["part"], r["status"]) for r in rows}["test_mul_layer"] == ("auto", "full")


LONG_MESSAGE = (
    "Traceback の最後の行: ValueError: operands could not be broadcast together with shapes (2,3) (4,5)\n"
    + "とても長い説明 " * 200
    + "\n"
    + "supercalifragilisticexpialidocious " * 100
    + "END_OF_MESSAGE <b>"
)


def test_long_messages_are_wrapped_not_cut(tmp_path):
    result = SubmissionResult("amy", ASSIGNMENT, "", "", [ExerciseResult("test_gates", 0.0, 3.0, LONG_MESSAGE)])
    page = write_feedback(result, None, tmp_path / "amy.html").read_text(encoding="utf-8")
    assert html.escape(LONG_MESSAGE, quote=True) in page  # every character, line breaks kept
    css = page.split("<style>")[1].split("</style>")[0]
    message_css = re.search(r"(?s)pre\s*(?:,[^{]*)?\{([^}]*)\}", css).group(1)
    assert "white-space: pre-wrap" in message_css and "overflow-wrap: anywhere" in message_css
    assert "word-break" not in css  # breaks words that would fit; overflow-wrap breaks only what cannot
    report = write_report([result], {}, "", tmp_path / "r.html", "").read_text(encoding="utf-8")
    assert html.escape(LONG_MESSAGE, quote=True) in report
    rows = _summary_rows(write_grades_csv([result], tmp_path / "grades.csv"))
    assert rows[0]["message"] == LONG_MESSAGE


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("alpha beta gamma delta", 16, "alpha…(以下省略)"),  # not "alpha be…"
        ("日本語の長い文章がここに続きます", 14, "日本語の長い文…(以下省略)"),  # any character boundary
        ("x" * 40, 20, "x" * 13 + "…(以下省略)"),  # one huge token: cut at a character boundary
        ("ab e\u0301\u0301cd xyz", 11, "ab…(以下省略)"),  # an accented word is a word too
        ("日本語e\u0301\u0301とても長い文章です", 12, "日本語…(以下省略)"),  # never between a letter and its accents
        ("日本語e\u0301\u0301とても長い文章です", 13, "日本語e\u0301\u0301…(以下省略)"),
        ("family \U0001f468\u200d\U0001f469\u200d\U0001f467 after", 16, "family…(以下省略)"),  # nor inside an emoji
        ("行1\n行2 と続く\n" + "長" * 30, 16, "行1\n行2 と続く…(以下省略)"),
    ],
)
def test_shorten_cuts_at_a_boundary_with_an_explicit_marker(text, limit, expected):
    from autograder.reports import shorten

    shortened = shorten(text, limit)
    assert shortened == expected
    assert len(shortened) <= limit


def test_errors_of_instructor_cells_reach_the_instructor_only(tmp_path, spec):
    note = "講師のセル「x_demo = softmax(...)」の実行でエラー: ValueError: cannot reshape"
    result = SubmissionResult(
        "carol",
        ASSIGNMENT,
        "carol/ch01_activation.ipynb",
        "c" * 64,
        [ExerciseResult("test_softmax", 0.0, 3.0, "softmax の値が違います。")],
        instructor_notes=[note],
    )
    feedback = write_feedback(result, spec, tmp_path / "carol.html").read_text(encoding="utf-8")
    assert "講師のセル" not in feedback and "cannot reshape" not in feedback
    assert "softmax の値が違います" in feedback  # the consequence, on the exercise
    report = write_report([result], {ASSIGNMENT: spec}, "", tmp_path / "report.html", "").read_text(encoding="utf-8")
    assert html.escape(note) in report or note in report
    write_summary_csv([result], tmp_path / "summary.csv", specs={ASSIGNMENT: spec})
    assert any("cannot reshape" in cell for row in read_csv(tmp_path / "summary.csv") for cell in row)


def test_every_tests_cell_has_a_title_of_its_own():
    """An exercise graded in two cells (its core and its edge rules) shows two distinct titles."""
    from autograder.assignment import known_assignments
    from autograder.reports import exercise_titles

    for assignment in known_assignments():
        spec = load_assignment(assignment)
        titles = exercise_titles(spec)
        tests = [titles[cell.grade_id] for cell in spec.cells if cell.kind == "tests"]
        assert len(set(tests)) == len(tests), (assignment, sorted(t for t in tests if tests.count(t) > 1))
    titles = exercise_titles(load_assignment("ch03_numerical_gradient"))
    assert titles["test_numerical_gradient_rules"] == "演習 2: 任意の形状の配列に対する数値勾配 (規則)"
    assert titles["test_numerical_gradient"] == "演習 2: 任意の形状の配列に対する数値勾配 (`numerical_gradient`)"
