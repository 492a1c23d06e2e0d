"""Issue #10 finding 3: the trusted grading process stays small whatever a submission sends.

Each hostile submission is graded in its own worker of the real pool; the worker reports its
own peak resident memory (``VmHWM`` of itself, not of the sandboxes it starts). Measured
here: 88 MB for the honest notebook (Python, NumPy, nbformat, the checks), 107-159 MB for the
hostile ones; without the parse cap the 4 MB cell alone took 1.7 GB. PEAK_BOUND leaves room for
a slower machine and is far below what the findings cost before the caps (a 4 MB cell parsed
into 2 GB; a 30 MB reply into 0.9 GB; a reference asked for a 2**40-element broadcast).
"""

from __future__ import annotations

import functools
from pathlib import Path

import nbformat
import pytest

from autograder import sandbox
from autograder.build import REPO_ROOT
from autograder.bundle import build_learner_bundle
from autograder.grading import GradingOptions, Timeouts, grade_submission
from autograder.model import Submission, SubmissionResult
from autograder.synthetic import fill_release
from autograder.worker_pool import WORKER_MEMORY_BYTES, run_pool

ASSIGNMENT = "ch01_activation"
PEAK_BOUND = 300 * 1024**2  # bytes of resident memory of the trusted worker
FIND_AGENT = (
    "import gc, json\n\ndef _agent():\n    return next(o for o in gc.get_objects() if type(o).__name__ == 'Agent')\n"
)
# a reply line of 30 MB written straight to the protocol pipe
HUGE_REPLY = FIND_AGENT + (
    "import numpy as np\n\ndef relu(x):\n    agent = _agent()\n"
    '    agent.proto_out.write(\'{"op": "result", "id": 0, "pad": "\' + \'x\' * 30_000_000 + \'"}\\n\')\n'
    "    agent.proto_out.flush()\n    return np.maximum(0, x)\n"
)
# 12 MB of tiny JSON objects: each costs far more parsed than written
MANY_OBJECTS = FIND_AGENT + (
    "import numpy as np\n\ndef relu(x):\n    agent = _agent()\n"
    '    agent.proto_out.write(\'{"op": "result", "id": 0, "value": {"t": "list", "items": [\''
    " + ','.join(['{\"t\": \"none\"}'] * 800_000) + ']}}\\n')\n"
    "    agent.proto_out.flush()\n    return np.maximum(0, x)\n"
)
# a substituted reference asked for a broadcast of 2**40 elements
BROADCAST = "import numpy as np\n\ndef XOR(x1, x2):\n    return AND(np.ones((2**20, 1)), np.ones((1, 2**20)))\n"
# one code cell of 4 MB (parsed by the trusted side to find what it defines, when metadata is gone)
BIG_CELL = "relu = lambda x: x * (x > 0)\nbig = [" + "(1, 2, (3, 4)), " * 270_000 + "]\n"


def _measured(job: Submission, options: GradingOptions) -> SubmissionResult:
    result = grade_submission(job, options)
    # VmHWM: the high-water mark of this process's own memory since its exec (ru_maxrss would
    # include what the forking parent, here pytest, held before the exec)
    status = Path("/proc/self/status").read_text()
    peak = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) * 1024
    result.problems.append(f"peak={peak}")
    return result


def _notebooks(tmp_path: Path) -> dict[str, Path]:
    release = nbformat.read(REPO_ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source_notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    cases = {
        "honest": fill_release(release, source),
        "huge_reply": fill_release(release, source, overrides={"relu": HUGE_REPLY}),
        "many_objects": fill_release(release, source, overrides={"relu": MANY_OBJECTS}),
        "broadcast": fill_release(release, source, overrides={"xor": BROADCAST}),
    }
    big = fill_release(release, source)
    for cell in big.cells:
        cell.metadata = {}  # no metadata: the grader must find the answers by the names they define
    big.cells.append(nbformat.v4.new_code_cell(BIG_CELL))
    cases["big_cell"] = big
    paths = {}
    for name, nb in cases.items():
        paths[name] = tmp_path / f"{name}.ipynb"
        nbformat.write(nb, paths[name])
    assert paths["big_cell"].stat().st_size > 4 * 1024**2
    return paths


def test_the_trusted_worker_stays_small_for_hostile_submissions(tmp_path):
    if sandbox.bubblewrap() is None:
        pytest.skip("bubblewrap is not installed")
    options = GradingOptions(
        build_learner_bundle(tmp_path / "bundle").out_dir, sandbox.detect(), timeouts=Timeouts(cell=20, call=10)
    )
    jobs = [Submission(name, ASSIGNMENT, path, name) for name, path in _notebooks(tmp_path).items()]
    grade = functools.partial(_measured, options=options)
    results = {}
    for job in jobs:  # one fresh worker each: its peak is this submission's alone
        (results[job.student_id],) = run_pool([job], grade, _lost, workers=1, job_seconds=300)
    peaks = {}
    for name, result in results.items():
        assert result.ran, (name, result.problems)
        peaks[name] = int(next(p for p in result.problems if p.startswith("peak="))[5:])
    print({name: f"{peak / 1024**2:.0f} MB" for name, peak in peaks.items()})
    assert all(peak < PEAK_BOUND for peak in peaks.values()), peaks
    assert PEAK_BOUND < WORKER_MEMORY_BYTES
    scores = {name: {e.grade_id: e.score for e in r.exercises} for name, r in results.items()}
    assert scores["huge_reply"]["test_relu"] == 0 and scores["many_objects"]["test_relu"] == 0
    assert scores["broadcast"]["test_xor"] == 0
    assert scores["big_cell"]["test_relu"] == 1  # the answers are found by their names; the 4 MB cell is not parsed


def _lost(job: Submission, reason: str) -> SubmissionResult:
    raise AssertionError(f"{job.student_id}: {reason}")
