"""Issue #10: hostile submissions against the grader's trust boundary, graded end to end.

Each fixture is a ch01_activation notebook whose answer attacks the grader the way a learner
found it could (the finding it reproduces is named beside it). Its expected outcome is exact:
the scores of every exercise, that no file was written outside the sandbox, that the batch
ended within a bound, and that the honest learner graded in the same batch lost nothing.
Run with the bubblewrap sandbox and with the weaker limits only.
"""

from __future__ import annotations

import csv
import os
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from autograder import sandbox
from autograder.build import REPO_ROOT
from autograder.grade_command import run_grade
from autograder.grading import GradingOptions, Timeouts, grade_submission
from autograder.model import Submission
from autograder.synthetic import fill_release
from course.hidden.secret import secret_path

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
TIMEOUTS = Timeouts(cell=20, call=5, submission=90)
LEFTOVER = "dlcourse-leftover"

# How learner code reaches the sandbox agent that runs it (the agent is theirs to abuse).
FIND_AGENT = """
import gc, json

def _agent():
    return next(o for o in gc.get_objects() if type(o).__name__ == "Agent")
"""
RIGHT_XOR = "AND(NAND(x1, x2), OR(x1, x2))"
RIGHT_RELU = "np.maximum(0, x)"

# Finding 1: `new` on a substituted function gave a handle to the ndarray it returned;
# `method: tofile` on it wrote any file as root. The learner's answer is right only if an
# attack was answered, so a refusal costs the exercise and an answer would show in the score.
PROTOCOL_ATTACK = (
    FIND_AGENT
    + """
import numpy as np

def three_layer_forward(params, x):
    agent = _agent()
    answered = 0
    requests = [
        {{"new": "sigmoid", "args": agent.enc([np.array([0.5])]), "kwargs": agent.enc({{}})}},
        {{"method": "tofile", "handle": 0, "args": agent.enc([{target!r}]), "kwargs": agent.enc({{"sep": " "}})}},
        {{"getattr": "__class__", "handle": 0}},
        {{"call": "__import__", "args": agent.enc(["os"]), "kwargs": agent.enc({{}})}},
    ]
    for request in requests:
        try:
            agent.callback(request)
            answered += 1
        except RuntimeError:
            pass
    a1 = sigmoid(x @ params["W1"] + params["b1"])
    a2 = sigmoid(a1 @ params["W2"] + params["b2"])
    y = a2 @ params["W3"] + params["b3"]
    return y if answered else -y
"""
)
# Finding 3: a substituted reference called with shapes whose broadcast has 2**40 elements.
BROADCAST_BOMB = """
import numpy as np

def XOR(x1, x2):
    try:
        AND(np.ones((2**20, 1)), np.ones((1, 2**20)))
    except RuntimeError:
        return 1 - {right}  # refused: the trusted side computed nothing
    return {right}
"""
# Finding 2: a callback with a 1 MB id, then sleeping with SIGINT ignored.
HUGE_ID_HANG = (
    FIND_AGENT
    + """
import signal, time
import numpy as np
agent = _agent()
signal.signal(signal.SIGINT, signal.SIG_IGN)
agent.proto_out.write(json.dumps({{"op": "callback", "id": "x" * 10**6, "call": "AND"}}) + "\\n")
agent.proto_out.flush()
time.sleep(10**6)

def relu(x):
    return {right}
"""
)
# Finding 2 again: thousands of callbacks without ever reading the replies (the grader's writes
# fill the pipe), then sleeping with SIGINT ignored.
FLOOD_WITHOUT_READING = (
    FIND_AGENT
    + """
import signal, time
import numpy as np
agent = _agent()
signal.signal(signal.SIGINT, signal.SIG_IGN)
for n in range(1, 20001):
    agent.proto_out.write(json.dumps({{"op": "callback", "id": f"cb{{n}}", "call": "AND"}}) + "\\n")
agent.proto_out.flush()
time.sleep(10**6)

def relu(x):
    return {right}
"""
)
# Finding 4: 4 children x 0.95 GB held 3.8 GB in one sandbox. Here 8 children x 0.5 GB (each
# allocates alone, at little CPU: forked children have 1 s of CPU); right only if all 8 held
# theirs at once.
MEMORY_IN_CHILDREN = """
import os
import numpy as np
release_r, release_w = os.pipe()
children, held = [], True
for _ in range(8):
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(release_w)
            block = np.empty(2**29, dtype=np.uint8)
            block[::4096] = 1  # one write per page: the memory is really held
            os.write(ready_w, b"1")
            os.read(release_r, 1)  # hold it until the parent has seen them all
        finally:
            os._exit(0)
    os.close(ready_w)
    children.append(pid)
    held = held and os.read(ready_r, 1) == b"1"
    os.close(ready_r)
alive = [pid for pid in children if os.waitpid(pid, os.WNOHANG)[0] == 0]
held = held and len(alive) == len(children)  # none was killed meanwhile
os.close(release_w)
for pid in alive:
    os.waitpid(pid, 0)

def relu(x):
    return {right} if held else -x
"""
# Finding 5: what a deny-list sandbox showed: accounts, another checkout's instructor code,
# the course secret, host sockets, and the hidden paths named in the mount table.
READ_HOST = """
import os
import numpy as np
seen = []
for path in ["/etc/passwd", {reference!r}, {secret!r}, "/run/postgresql", "/home", "/root/.bashrc", "/var"]:
    if os.path.exists(path):
        seen.append(path)
if os.path.isdir({repo!r}) and set(os.listdir({repo!r})) - {{".venv", "venv", ".tox"}}:
    seen.append("the repository")  # only the folder of the interpreter may show, not its contents
mounts = open("/proc/self/mounts").read()
if "course/hidden" in mounts or "course/reference" in mounts:
    seen.append("mount table")

def relu(x):
    return {right} if not seen else -x
"""
# Finding 8: the kernel keyring carried data between learners; and system calls grading never needs.
SYSTEM_CALLS = """
import ctypes, os
import numpy as np
libc = ctypes.CDLL(None, use_errno=True)
allowed = []
key = libc.syscall(248, b"user", b"note", b"secret", 6, -4)  # add_key(..., KEY_SPEC_USER_KEYRING)
if key >= 0:
    allowed.append("add_key")
if libc.syscall(272, 0x10000000) == 0:  # unshare(CLONE_NEWUSER)
    allowed.append("unshare")
if libc.syscall(101, 0, 0, 0, 0) == 0:  # ptrace(PTRACE_TRACEME)
    allowed.append("ptrace")
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    allowed.append("socket")
except OSError:
    pass

def relu(x):
    return {right} if not allowed else -x
"""
# Finding 8: a reply the grader cannot read cost the whole submission as an internal error.
MALFORMED_REPLY = (
    FIND_AGENT
    + """
import numpy as np
agent = _agent()
_send = agent.send

def _forged(message):
    if message.get("op") == "result" and "value" in message:
        message = {{**message, "value": {{"t": "nd", "b64": "!!"}}, "warnings": 5, "output": 7}}
    _send(message)

def relu(x):
    agent.send = _forged  # from the first call of relu on, every result is unreadable
    return {right}
"""
)
# Red team: a lone surrogate in an error message could not be saved as UTF-8 and stopped the batch
# (and every re-run); an instructor cell's error carries it too.
SURROGATE = """
import numpy as np

def relu(x):
    raise ValueError("\\ud800 and \\udfff")
"""
# Red team: thousands of zero-size arrays of distinct shapes made the trusted side compare every pair.
MANY_SHAPES = """
import numpy as np

def XOR(x1, x2):
    try:
        AND(*[np.zeros((0, k + 2)) for k in range(30000)])
    except Exception:
        pass
    return {right}
"""
# Red team: a float that overflows when read made the whole submission an internal error.
OVERFLOW_REPLY = (
    FIND_AGENT
    + """
import numpy as np
agent = _agent()
_send = agent.send

def _forged(message):
    if message.get("op") == "result" and "value" in message:
        message = {{**message, "value": {{"t": "float", "v": "0x1p+99999"}}}}
    _send(message)

def relu(x):
    agent.send = _forged
    return {right}
"""
)
# Leftovers: a detached child that outlives the grading of its learner.
DETACHED_CHILD = """
import ctypes, os, time
import numpy as np
if os.fork() == 0:
    os.setsid()
    ctypes.CDLL(None).prctl(15, {marker!r}.encode(), 0, 0, 0)  # PR_SET_NAME
    while True:
        time.sleep(1)

def relu(x):
    return {right}
"""


def _without(*broken: str) -> dict[str, int]:
    return {k: (0 if k in broken else v) for k, v in AUTO.items()}


def _fixtures(target: Path) -> dict[str, tuple[dict[str, str], dict[str, int]]]:
    """student -> (answer overrides, expected auto scores) in bubblewrap mode."""
    right = {"right": RIGHT_RELU}
    return {
        "honest": ({}, dict(AUTO)),
        "protocol_attack": (
            {"three_layer_forward": PROTOCOL_ATTACK.format(target=str(target))},
            _without("test_three_layer_forward"),
        ),
        "broadcast_bomb": ({"xor": BROADCAST_BOMB.format(right=RIGHT_XOR)}, _without("test_xor")),
        "huge_id_hang": ({"relu": HUGE_ID_HANG.format(**right)}, _without("test_relu")),
        "flood_without_reading": ({"relu": FLOOD_WITHOUT_READING.format(**right)}, _without("test_relu")),
        "memory_in_children": ({"relu": MEMORY_IN_CHILDREN.format(**right)}, _without("test_relu")),
        "read_host": (
            {
                "relu": READ_HOST.format(
                    reference=str(REPO_ROOT / "course" / "reference" / "activations.py"),
                    secret=str(secret_path()),
                    repo=str(REPO_ROOT),
                    **right,
                )
            },
            dict(AUTO),
        ),
        "system_calls": ({"relu": SYSTEM_CALLS.format(**right)}, dict(AUTO)),
        "malformed_reply": (
            {"relu": MALFORMED_REPLY.format(**right)},
            _without("test_relu", "test_softmax", "test_three_layer_forward"),
        ),
        "detached_child": ({"relu": DETACHED_CHILD.format(marker=LEFTOVER, **right)}, dict(AUTO)),
        "surrogate": ({"relu": SURROGATE}, _without("test_relu")),
        "many_shapes": ({"xor": MANY_SHAPES.format(right=RIGHT_XOR)}, dict(AUTO)),
        "overflow_reply": (
            {"relu": OVERFLOW_REPLY.format(**right)},
            _without("test_relu", "test_softmax", "test_three_layer_forward"),
        ),
    }  # fmt: skip


def _weaker_limits_differences(setup: sandbox.Setup) -> dict[str, dict[str, int]]:
    """What the weaker layers cannot stop (the grader's output says which layers ran)."""
    differences: dict[str, dict[str, int]] = {}
    if setup.mode != "bubblewrap":
        differences["read_host"] = {"test_relu": 0}  # the machine's files are visible
    if setup.cgroups is None and setup.mode == "bubblewrap":
        differences["memory_in_children"] = {"test_relu": 1}  # memory is limited per process only
    if not setup.seccomp:
        differences["system_calls"] = {"test_relu": 0}
    return differences


def _scores(out: Path) -> dict[str, dict[str, int]]:
    scores: dict[str, dict[str, int]] = {}
    with open(out / "grades.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["grade_id"] in AUTO:
                scores.setdefault(row["student_id"], {})[row["grade_id"]] = int(float(row["score"]))
    return scores


def _leftovers() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == LEFTOVER:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("mode", ["bubblewrap", "rlimits"])
def test_hostile_submissions_cost_only_their_own_exercises(mode, tmp_path, monkeypatch):
    if mode == "bubblewrap" and sandbox.bubblewrap() is None:
        pytest.skip("bubblewrap is not installed (apt-get install bubblewrap); the weaker limits are tested")
    monkeypatch.setattr(sandbox, "bubblewrap", lambda: "bwrap" if mode == "bubblewrap" else None)
    setup = sandbox.detect()
    release = nbformat.read(REPO_ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source_notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    target = tmp_path / "written-by-the-grader.pth"
    expected = {}
    for student, (overrides, scores) in _fixtures(target).items():
        folder = submissions / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(fill_release(release, source, overrides=overrides), folder / f"{ASSIGNMENT}.ipynb")
        expected[student] = scores
    for student, changes in _weaker_limits_differences(setup).items():
        expected[student] = {**expected[student], **changes}
    if setup.cgroups is None and setup.mode != "bubblewrap":
        del expected["memory_in_children"]  # forked children get 1 s of CPU there: the outcome is a race

    start = time.monotonic()
    run = run_grade(submissions, out, workers=2, show_progress=False, log=lambda m: None, timeouts=TIMEOUTS)
    elapsed = time.monotonic() - start

    scores = _scores(out)
    assert {student: scores[student] for student in expected} == expected
    assert not target.exists()  # finding 1: nothing written by the trusted side
    by_student = {r.student_id: r for r in run.results}
    assert by_student["honest"].problems == [] and by_student["honest"].ran
    for student in ("malformed_reply", "overflow_reply"):  # finding 8: not an internal error of the whole submission
        assert by_student[student].ran and not any("内部エラー" in e.message for e in by_student[student].exercises)
    assert "?" in " ".join(e.message for e in by_student["surrogate"].exercises)  # replaced, and written out
    # finding 2: every wait has a deadline; the hanging fixtures cost a few cell timeouts, not the batch
    assert elapsed < 300
    if setup.cgroups is not None or mode == "bubblewrap":
        assert _leftovers() == []  # killed with their sandbox (cgroup or PID namespace)
    for pid in _leftovers():  # the weakest layer cannot find them: clean up after the test
        os.kill(pid, 9)


def test_the_submission_budget_is_enforced_inside_checks(tmp_path):
    """Finding 8: the budget was only checked between cells, so slow checks kept their points.
    Here relu takes 3 s a call (under the call timeout); the check calls it several times."""
    release = nbformat.read(REPO_ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "source_notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    slow = "import time\nimport numpy as np\n\ndef relu(x):\n    time.sleep(3)\n    return np.maximum(0, x)\n"
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    nbformat.write(fill_release(release, source, overrides={"relu": slow}), path)
    from autograder.bundle import build_learner_bundle

    bundle = build_learner_bundle(tmp_path / "bundle")
    options = GradingOptions(bundle.out_dir, sandbox.detect(), timeouts=Timeouts(cell=10, call=4, submission=8))
    start = time.monotonic()
    result = grade_submission(Submission("slow", ASSIGNMENT, path, "slow"), options)
    elapsed = time.monotonic() - start
    scores = {e.grade_id: e.score for e in result.exercises if e.grade_id in AUTO}
    assert scores["test_relu"] == 0
    assert scores["test_softmax"] == 0 and scores["test_three_layer_forward"] == 0  # after the budget
    assert scores["test_gates"] == AUTO["test_gates"]  # graded before the budget ran out
    messages = " ".join(e.message for e in result.exercises)
    assert "制限時間" in messages
    assert elapsed < 8 + 15  # the budget, plus starting and stopping the sandbox


def test_every_sandbox_gets_its_own_uid(tmp_path):
    """Finding 8: all sandboxes of a worker shared one uid (and so one keyring and one process limit)."""
    setup = sandbox.detect()
    if not sandbox.fresh_uid_wanted(setup.mode):
        pytest.skip("fresh uids need root and bubblewrap")
    from autograder.bundle import build_learner_bundle
    from autograder.sandbox_uids import used_ranges
    from autograder.worker_session import SandboxSession

    bundle = build_learner_bundle(tmp_path / "bundle").out_dir
    uids = []
    for _ in range(3):
        with SandboxSession(bundle, setup) as session:
            session.run_cell("import os\nuid = os.getuid()", 30)
            uids.append(session.request({"op": "value", "path": "uid"}).value)
    assert len(set(uids)) == 3
    taken = used_ranges()
    assert not any(lo <= uid <= hi for uid in uids for lo, hi in taken)
    assert all(uid >= 1_000_000 for uid in uids)


def test_an_interpreter_under_tmp_starts_in_the_sandbox(tmp_path):
    """Finding 8: a virtual environment under /tmp could not start in the sandbox, with an empty error."""
    if sandbox.bubblewrap() is None:
        pytest.skip("bubblewrap is not installed")
    import subprocess
    import sys
    import sysconfig

    venv = tmp_path / "venv"  # under /tmp: the sandbox's own /tmp is a private tmpfs
    assert str(venv).startswith("/tmp/")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_paths()["purelib"])
    (Path(venv / "lib").glob("python3*/site-packages").__next__() / "outer.pth").write_text(str(site) + "\n")
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from autograder import sandbox
        from autograder.bundle import build_learner_bundle
        from autograder.worker_session import SandboxSession
        bundle = build_learner_bundle(Path({str(tmp_path / "bundle")!r})).out_dir
        with SandboxSession(bundle, sandbox.detect()) as session:
            session.run_cell("import sys, numpy\\nprefix = sys.prefix", 60)
            print(session.request({{"op": "value", "path": "prefix"}}).value)
        """
    )
    done = subprocess.run([str(venv / "bin" / "python"), "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(venv)
