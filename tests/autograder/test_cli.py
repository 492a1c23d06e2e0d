"""The command line: help texts, `check` for learners, and grading on a Dask cluster."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.build import REPO_ROOT
from autograder.cli import build_parser
from autograder.grade_command import run_grade
from autograder.synthetic import fill_release

ASSIGNMENT = "ch01_activation"


def _release_and_source():
    release = nbformat.read(REPO_ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source_notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return release, source


def test_grade_help_explains_every_option():
    parser = build_parser()
    grade = parser._subparsers._group_actions[0].choices["grade"]
    text = grade.format_help()
    for option in ("SUBMISSIONS", "--out", "--assignment", "--workers", "--scheduler", "--db-url", "--force"):
        assert option in text
    for action in grade._actions:
        if action.dest != "help":
            assert action.help and len(action.help) > 20, action.dest


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "autograder", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "grade" in proc.stdout and "check" in proc.stdout


@pytest.mark.parametrize("filled", [True, False])
def test_check_reports_public_tests_in_japanese(tmp_path, filled):
    release, source = _release_and_source()
    nb = fill_release(release, source) if filled else release
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    nbformat.write(nb, path)
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "check", str(path)], capture_output=True, text=True, timeout=300
    )
    assert "公開テスト:" in proc.stdout
    if filled:
        assert proc.returncode == 0 and "不合格" not in proc.stdout
        assert "8 / 8 合格" in proc.stdout
    else:
        assert proc.returncode == 1 and "[不合格] test_softmax" in proc.stdout and "NotImplementedError" in proc.stdout


def test_check_takes_a_timeout_per_cell(tmp_path):
    release, source = _release_and_source()
    nb = fill_release(release, source)
    first = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    first.source = "while True:\n    pass\n"
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    nbformat.write(nb, path)
    argv = [sys.executable, "-m", "autograder", "check", "--timeout", "3", str(path)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "3 秒たっても終わらなかった" in proc.stdout + proc.stderr and "--timeout 6" in proc.stdout + proc.stderr


def test_grading_on_a_local_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is needed for --scheduler")
    release, source = _release_and_source()
    wrong = "import numpy as np\n\ndef relu(x):\n    return np.abs(x)\n"
    for student, overrides in [("s1", {}), ("s2", {"relu": wrong}), ("s3", {})]:
        folder = tmp_path / "subs" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(fill_release(release, source, overrides=overrides), folder / f"{ASSIGNMENT}.ipynb")
    with distributed.LocalCluster(n_workers=3, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = run_grade(
            tmp_path / "subs", tmp_path / "out", scheduler=cluster.scheduler_address, show_progress=False,
            log=lambda m: None,
        )  # fmt: skip
    scores = {r.student_id: r.score for r in run.results}
    assert scores == {"s1": 17.0, "s2": 16.0, "s3": 17.0}
    assert run.graded == 3
    assert Path(run.outputs["grades.csv"]).exists()


def test_grade_refuses_a_missing_folder_and_bad_options(tmp_path, capsys, monkeypatch):
    from autograder import cli

    assert cli.main(["grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--scheduler", "tcp://x:1"]) == 2
    message = capsys.readouterr().err
    assert ".[grading]" in message and "distributed" in message
    assert not (tmp_path / "out").exists()  # nothing was started


def test_grade_with_nothing_to_grade_exits_non_zero(tmp_path, capsys):
    from autograder import cli

    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "notes.txt").write_text("not a notebook")
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out")]) == 1
    assert "no submissions found" in capsys.readouterr().err


def test_grade_totals_cover_the_assignments_asked_for(tmp_path, monkeypatch):
    """--assignment names the assignments of the run: one nobody submitted is 未提出 for everyone,
    and the terminal summary shows the autograded part apart from the written answers awaiting a grader."""
    import csv

    from autograder import grade_command
    from autograder.assignment import load_assignment
    from autograder.model import ExerciseResult, SubmissionResult

    release, source = _release_and_source()
    folder = tmp_path / "subs" / "s1" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(fill_release(release, source), folder / f"{ASSIGNMENT}.ipynb")
    spec = load_assignment(ASSIGNMENT)

    def grade_without_sandbox(jobs, options, workers):  # the wiring is under test here, not the sandbox
        for job in jobs:
            exercises = [
                ExerciseResult(c.grade_id, None if c.kind == "answer" else c.points, c.points, "", c.kind == "answer")
                for c in spec.cells
                if c.kind in ("tests", "answer")
            ]
            yield SubmissionResult(job.student_id, job.assignment, job.origin, job.sha256, exercises)

    monkeypatch.setattr(grade_command, "_grade_locally", grade_without_sandbox)
    other = "ch02_loss"
    run = run_grade(
        tmp_path / "subs", tmp_path / "out", assignments=[ASSIGNMENT, other], workers=1, show_progress=False,
        log=lambda m: None,
    )  # fmt: skip
    with open(run.outputs["summary.csv"], encoding="utf-8-sig", newline="") as fh:
        rows = {r["assignment"]: r for r in csv.DictReader(fh)}
    assert rows[ASSIGNMENT]["status"] == "provisional" and rows[ASSIGNMENT]["auto_percent"] == "100"
    assert rows[other]["status"] == "missing"
    assert float(rows[other]["max_score"]) == load_assignment(other).max_score > 0
    report = Path(run.outputs["report.html"]).read_text(encoding="utf-8")
    assert f"<th class=num>{other}</th>" in report and "未提出 1 件を 0 点として計算" in report
    table = grade_command.summary_table(run)
    assert "自動採点の平均" in table and "記述の採点待ち" in table
    assert f"| {ASSIGNMENT} | 1 | 17.0 | 17 | 1 | 0 |" in table


def test_grade_exits_3_when_the_gradebook_failed(tmp_path, monkeypatch, capsys):
    """The reports are written, but the written answers could not be read back: the exit code says so."""
    from autograder import grade_command
    from autograder.cli import main
    from autograder.discover import Discovery

    def fake_run(*args, **kwargs):
        return grade_command.GradeRun(
            Discovery("nbgrader"), results=[object()], gradebook_error="OperationalError: locked"
        )

    monkeypatch.setattr(grade_command, "run_grade", fake_run)
    monkeypatch.setattr(grade_command, "print_summary", lambda run: None)
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "out")]) == 3
    assert "成績簿" in capsys.readouterr().err


def test_the_grader_does_not_import_the_slow_iri_grammar():
    """jsonschema (through nbformat) would import rfc3987_syntax, about 1.5 s per grader process."""
    code = "import sys, autograder.grade_command, nbformat; print(sys.modules.get('rfc3987_syntax'))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert proc.returncode == 0 and proc.stdout.strip() == "None", proc.stderr


def test_the_command_skips_the_final_collection_after_its_work(monkeypatch):
    """``autograder`` (console script and ``python -m autograder``) runs :func:`main`, then freezes the
    objects so that the interpreter's shutdown does not collect them (0.3–0.5 s per run)."""
    import tomllib

    from autograder import cli

    calls = []
    monkeypatch.setattr(cli, "main", lambda: calls.append("main") or 3)
    monkeypatch.setattr(cli, "skip_final_collection", lambda: calls.append("freeze"))
    assert cli.command() == 3 and calls == ["main", "freeze"]
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["autograder"] == "autograder.cli:command"
    assert "command()" in (REPO_ROOT / "autograder" / "__main__.py").read_text(encoding="utf-8")


def test_skipping_the_final_collection_keeps_what_the_process_wrote(tmp_path):
    """Files written and closed before, streams and atexit handlers all still work; only cycles are left."""
    target = tmp_path / "out.txt"
    code = (
        "import atexit, sys\n"
        "from autograder.quick_exit import skip_final_collection\n"
        f"atexit.register(lambda: open({str(target)!r}, 'a').write('atexit\\n'))\n"
        f"with open({str(target)!r}, 'w') as fh: fh.write('written\\n')\n"
        "sys.stdout.write('buffered output')\n"
        "skip_final_collection()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "buffered output"
    assert target.read_text() == "written\natexit\n"
