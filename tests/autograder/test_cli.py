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
        assert "7 / 7 合格" in proc.stdout
    else:
        assert proc.returncode == 1 and "[不合格] test_softmax" in proc.stdout and "NotImplementedError" in proc.stdout


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
    assert scores == {"s1": 15.0, "s2": 14.0, "s3": 15.0}
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
