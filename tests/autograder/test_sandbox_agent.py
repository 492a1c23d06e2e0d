"""The sandbox agent's own limits, tested in a child interpreter (they patch the process)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from autograder.build import REPO_ROOT

# Run as a fresh interpreter: the limit replaces os.fork for good.
FORK_BOMB = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, {root!r})
    from autograder.sandbox_agent import _limit_forks
    _limit_forks(3)
    children = []
    refused = None
    for _ in range(10):
        try:
            pid = os.fork()
        except BlockingIOError as error:
            refused = str(error)
            break
        if pid == 0:  # a forked child may not fork again
            try:
                os.fork()
            except BlockingIOError:
                os._exit(7)
            os._exit(0)
        children.append(pid)
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    print(json.dumps({{"forks": len(children), "codes": codes, "refused": refused}}))
    """
)


def test_fork_limit_stops_a_fork_bomb():
    """Root ignores RLIMIT_NPROC: the agent limits os.fork itself (the weaker sandbox, run as root)."""
    done = subprocess.run(
        [sys.executable, "-c", FORK_BOMB.format(root=str(REPO_ROOT))], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["forks"] == 3  # three forks allowed, the fourth refused
    assert report["codes"] == [7, 7, 7]  # every child was refused its own fork
    assert "process limit" in report["refused"]
