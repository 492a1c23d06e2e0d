"""The fixture class: honest, partly wrong, blank, mangled, broken and hostile submissions of
ch01_activation, graded end to end by `autograder grade` with exact expected scores, with the
bubblewrap sandbox and with the weaker limits only."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import sandbox
from autograder.build import REPO_ROOT
from autograder.grade_command import run_grade
from autograder.synthetic import fill_release

ASSIGNMENT = "ch01_activation"
AUTO = {
    "test_gates": 3,
    "test_xor": 2,
    "test_step_function": 1,
    "test_sigmoid": 2,
    "test_relu": 1,
    "test_softmax": 3,
    "test_three_layer_forward": 3,
}
FULL = sum(AUTO.values())  # 15; the written answer (2 points) waits for a human

SOFTMAX_WITHOUT_MAX = (
    "import numpy as np\n\ndef softmax(x):\n    e = np.exp(x)\n    return e / np.sum(e, axis=-1, keepdims=True)\n"
)
RELU_THAT_WARNS = (
    "import numpy as np\n\ndef relu(x):\n    np.log(np.zeros(1))  # RuntimeWarning: divide by zero, printed to stderr\n"
    "    return np.maximum(0, x)\n"
)
MONKEYPATCH = (
    "import numpy as np\nimport builtins\nnp.allclose = lambda *a, **k: True\n"
    "np.isclose = lambda a, b, **k: np.ones(np.shape(b), bool)\n"
    "np.testing.assert_allclose = lambda *a, **k: None\nbuiltins.isinstance = lambda *a: True\n"
    "import course.checks\ncourse.checks.check_array = lambda *a, **k: None\n\n"
    "def softmax(x):\n    return np.zeros_like(x)\n"
)
IMPORT_REFERENCE = "from course.reference import softmax  # instructor-only\n"
READ_REFERENCE = (  # the attacker guessed where the course lives
    f"import pathlib\nexec(pathlib.Path({str(REPO_ROOT / 'course/reference/activations.py')!r}).read_text())\n"
)
HARD_CODED = (
    "import numpy as np\n\ndef softmax(x):\n    x = np.asarray(x)\n    if x.ndim == 1:\n"
    "        return np.array([1.0, 2.0, 3.0]) / 6.0\n"
    "    return np.array([[1 / 6, 2 / 6, 3 / 6], [1 / 3, 1 / 3, 1 / 3]])\n"
)
FAKE_OUTPUT = (
    'print("公開テスト: OK")\nprint("隠しテスト (softmax): 合格")\n\ndef softmax(x):\n    raise ValueError("nope")\n'
)
EXIT_EARLY = "import os\nos._exit(0)\n"
INFINITE = "def relu(x):\n    while True:\n        pass\n"
MEMORY = "import numpy as np\n\ndef relu(x):\n    return np.ones((10**6, 10**5))  # 800 GB\n"
FORK_BOMB = "import os\n\ndef relu(x):\n    while True:\n        os.fork()\n"
BIG_OUTPUT = (  # 10 GB printed
    "import sys\n\ndef relu(x):\n    for _ in range(10**5):\n        sys.stdout.write('x' * 10**5)\n"
    "    return x * (x > 0)\n"
)
DISK = (  # 1 GB written
    "def relu(x):\n    with open('/tmp/fill', 'wb') as f:\n        for _ in range(1000):\n"
    "            f.write(b'0' * 10**6)\n    return x * (x > 0)\n"
)
NETWORK = (
    "import socket\nimport numpy as np\n\ndef relu(x):\n    socket.create_connection(('127.0.0.1', 9), timeout=2)\n"
    "    return np.maximum(0, x)\n"
)
OTHER_STUDENT = (  # {folder}: the submissions folder, guessed by the attacker
    "import pathlib\nimport numpy as np\n"
    "leaked = list(pathlib.Path({folder!r}).glob('honest/*/*.ipynb'))\n\n"
    "def relu(x):\n    assert not leaked, 'saw another submission'\n    return np.maximum(0, x)\n"
)
WRITE_OUTPUT = (  # {out}: the output folder, guessed by the attacker
    "import pathlib\nimport numpy as np\nfor path in pathlib.Path({out!r}).rglob('*'):\n"
    "    try:\n        path.write_text('{{}}') if path.is_file() else None\n    except OSError:\n        pass\n\n"
    "def relu(x):\n    return np.maximum(0, x)\n"
)


def _notebooks():
    release = nbformat.read(REPO_ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source_notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return release, source


def _without(scores: dict[str, int], *broken: str) -> dict[str, int]:
    return {k: (0 if k in broken else v) for k, v in scores.items()}


def build_class(root: Path, out: Path) -> dict[str, dict[str, int]]:
    """Write the fixture class into ``root`` (nbgrader layout); returns the expected auto scores.
    ``out`` is where the grader will write (an attacker tries to overwrite it)."""
    release, source = _notebooks()
    expected: dict[str, dict[str, int]] = {}

    def submit(student: str, nb_or_bytes, expect: dict[str, int], name: str = f"{ASSIGNMENT}.ipynb") -> None:
        folder = root / student / ASSIGNMENT
        folder.mkdir(parents=True)
        data = nb_or_bytes if isinstance(nb_or_bytes, bytes) else nbformat.writes(nb_or_bytes).encode()
        (folder / name).write_bytes(data)
        expected[student] = expect

    def filled(**overrides: str):
        return fill_release(release, source, overrides=overrides)

    submit("honest", filled(), dict(AUTO))
    submit("stub", release, _without(AUTO, *AUTO))
    submit("partly_wrong", filled(softmax=SOFTMAX_WITHOUT_MAX), _without(AUTO, "test_softmax"))
    submit("warns_but_right", filled(relu=RELU_THAT_WARNS), dict(AUTO))
    # mangled by editors: metadata dropped (VS Code / Colab), cells reordered and duplicated, renamed
    nb = filled()
    for cell in nb.cells:
        cell.metadata = {}
    submit("no_metadata", nb, dict(AUTO))
    nb = filled()
    code = [c for c in nb.cells if c.cell_type == "code"]
    nb.cells = list(reversed(nb.cells)) + [code[3]]
    submit("reordered", nb, dict(AUTO))
    submit("renamed", filled(), dict(AUTO), name=f"Copy of {ASSIGNMENT} (1).ipynb")
    nb = filled()
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]  # test cells deleted
    submit("deleted_tests", nb, dict(AUTO))
    nb = filled(softmax="def softmax(x):\n    return x\n")
    for cell in nb.cells:  # "passing" tests edited into no-ops, checksums changed
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            cell.source = "pass"
            cell.metadata["nbgrader"]["checksum"] = "0" * 32
    submit("edited_tests", nb, _without(AUTO, "test_softmax"))
    # broken files
    submit("invalid_json", b'{"cells": [', _without(AUTO, *AUTO))
    submit("empty_file", b"", _without(AUTO, *AUTO))
    v3 = nbformat.v3.convert.downgrade(filled())
    submit("nbformat3", json.dumps(v3).encode(), dict(AUTO))
    # attacks
    submit("monkeypatch", filled(softmax=MONKEYPATCH), _without(AUTO, "test_softmax"))
    submit("import_reference", filled(softmax=IMPORT_REFERENCE), _without(AUTO, "test_softmax"))
    submit("read_reference", filled(softmax=READ_REFERENCE), _without(AUTO, "test_softmax"))
    submit("hard_coded", filled(softmax=HARD_CODED), _without(AUTO, "test_softmax"))
    submit("fake_output", filled(softmax=FAKE_OUTPUT), _without(AUTO, "test_softmax"))
    submit("exit_early", filled(softmax=EXIT_EARLY), _without(AUTO, "test_softmax"))
    submit("infinite_loop", filled(relu=INFINITE), _without(AUTO, "test_relu"))
    submit("memory_hog", filled(relu=MEMORY), _without(AUTO, "test_relu"))
    submit("fork_bomb", filled(relu=FORK_BOMB), _without(AUTO, "test_relu"))
    submit("big_output", filled(relu=BIG_OUTPUT), dict(AUTO))
    submit("fill_disk", filled(relu=DISK), _without(AUTO, "test_relu"))
    submit("network", filled(relu=NETWORK), _without(AUTO, "test_relu"))
    submit("other_student", filled(relu=OTHER_STUDENT.format(folder=str(root))), dict(AUTO))
    submit("write_output", filled(relu=WRITE_OUTPUT.format(out=str(out))), dict(AUTO))
    # a zip with path traversal next to the class is refused and harms nobody
    with zipfile.ZipFile(root / "evil.zip", "w") as archive:
        archive.writestr("../../escaped.ipynb", "{}")
    return expected


def _scores(out: Path) -> dict[str, dict[str, int]]:
    scores: dict[str, dict[str, int]] = {}
    with open(out / "grades.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["grade_id"] in AUTO:
                scores.setdefault(row["student_id"], {})[row["grade_id"]] = int(float(row["score"]))
    return scores


MODES = ["bubblewrap", "rlimits"]
# What the weaker limits cannot stop (the output says so when they are in use): the learner's
# process can read any file the grader can read, and reach the network.
WEAK_MODE_DIFFERENCES = {
    "read_reference": {"test_softmax": 3},
    "other_student": {"test_relu": 0},
    "network": {"test_relu": 0},  # nothing listens on port 9: refused either way, the cell errors
}


@pytest.mark.parametrize("mode", MODES)
def test_fixture_class_scores_exactly(mode, tmp_path, monkeypatch):
    if mode == "bubblewrap" and sandbox.bubblewrap() is None:
        pytest.skip("bubblewrap is not installed (apt-get install bubblewrap); the weaker limits are tested")
    monkeypatch.setattr(sandbox, "bubblewrap", lambda: "bwrap" if mode == "bubblewrap" else None)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    out = tmp_path / "out"
    expected = build_class(submissions, out)
    if mode == "rlimits":
        for student, changes in WEAK_MODE_DIFFERENCES.items():
            expected[student] = {**expected[student], **changes}
    messages: list[str] = []
    run = run_grade(submissions, out, workers=2, show_progress=False, log=messages.append)

    assert _scores(out) == expected
    assert run.mode == mode
    assert any(("bubblewrap" in m) for m in messages)
    if mode == "rlimits":
        assert any("警告" in m for m in messages)
    assert "evil.zip" in run.discovery.describe()
    assert not (tmp_path / "escaped.ipynb").exists() and not (tmp_path.parent / "escaped.ipynb").exists()
    # the gradebook survived the attack and holds the same scores
    assert (out / "course" / "gradebook.db").stat().st_size > 0
    by_student = {r.student_id: r for r in run.results}
    # an honest notebook runs every instructor cell without error (the set-up imports `course` from the bundle)
    assert by_student["honest"].problems == [] and by_student["honest"].ran
    assert not by_student["invalid_json"].ran and by_student["invalid_json"].problems
    assert "timeout" in " ".join(e.message for e in by_student["infinite_loop"].exercises)

    before = (out / "grades.csv").read_bytes()
    again = run_grade(submissions, out, workers=2, show_progress=False, log=messages.append)
    if mode == "bubblewrap":
        # re-running is incremental: nothing is graded again, nothing changes
        assert again.graded == 0 and again.reused == len(expected)
        assert (out / "grades.csv").read_bytes() == before
    else:
        # the weaker limits cannot protect the saved grades: "write_output" overwrote them during the
        # first run (the output says so); the second run notices and grades again, to the same scores
        assert again.graded > 0
        assert _scores(out) == expected


def test_interrupted_run_resumes_without_double_counting(tmp_path):
    """Results are saved one by one: a run that stops half-way is completed by the next one."""
    submissions = tmp_path / "submissions"
    release, source = _notebooks()
    for student in ("a", "b", "c"):
        folder = submissions / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(fill_release(release, source), folder / f"{ASSIGNMENT}.ipynb")
    out = tmp_path / "out"
    first = run_grade(submissions, out, workers=1, show_progress=False, log=lambda m: None)
    # simulate a kill after the first saved result: drop the others and every output
    saved = sorted((out / ".results" / ASSIGNMENT).glob("*.json"))
    for path in saved[1:]:
        path.unlink()
    for name in ("grades.csv", "summary.csv", "report.html"):
        (out / name).unlink()
    shutil.rmtree(out / "course")
    second = run_grade(submissions, out, workers=1, show_progress=False, log=lambda m: None)
    assert (second.graded, second.reused) == (2, 1)
    assert _scores(out) == {s: dict(AUTO) for s in ("a", "b", "c")}
    assert [r.score for r in second.results] == [r.score for r in first.results]
