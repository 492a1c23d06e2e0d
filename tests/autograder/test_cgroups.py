"""Per-sandbox cgroups: limits for the whole sandbox, and everything in it killed together."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import cgroups
from autograder.cgroups import Cgroups, SandboxCgroup, kill_owned_by, sweep_stale

FORK_AND_HOLD = """
import os, sys, time
refused = 0
for _ in range(40):
    try:
        if os.fork() == 0:
            os.setsid()  # detached: no process group or session of the parent reaches it
            time.sleep(600)
            os._exit(0)
    except OSError:
        refused += 1
print(refused, flush=True)
time.sleep(600)
"""


@pytest.fixture
def machine_cgroups():
    found = cgroups.detect()
    if found is None:
        pytest.skip("no writable cgroup hierarchy here (needs root, or a delegated cgroup v2 subtree)")
    return found


def test_process_limit_is_for_the_whole_sandbox_and_kill_takes_detached_children(machine_cgroups):
    group = SandboxCgroup(machine_cgroups, os.getpid(), 512 * 1024**2, processes=10)
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", FORK_AND_HOLD], stdout=subprocess.PIPE, text=True, preexec_fn=group.join
        )
        refused = int(process.stdout.readline())
        assert refused == 40 - 9  # 10 tasks in all: the parent and 9 children
        assert len(group.pids()) == 10
        group.kill()
        assert group.pids() == set()
        assert process.wait(10) == -9
    finally:
        group.remove()
    assert not any(folder.exists() for folder in group.folders.values())


def test_memory_limit_is_for_the_whole_sandbox(machine_cgroups):
    group = SandboxCgroup(machine_cgroups, os.getpid(), 256 * 1024**2, processes=10)
    code = "import os\nblock = bytearray(400 * 1024**2)\nos.write(1, b'held')\n"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, preexec_fn=group.join, timeout=60)
    finally:
        group.remove()
    assert done.returncode != 0 and b"held" not in done.stdout  # killed by the cgroup's OOM killer


def test_a_killed_workers_sandboxes_are_found_by_owner(machine_cgroups):
    owner = 2**22 + os.getpid() % 1000  # a pid that is not ours: the sandboxes of "another" worker
    groups = [SandboxCgroup(machine_cgroups, owner, 256 * 1024**2, processes=5) for _ in range(2)]
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], preexec_fn=groups[0].join)
    try:
        assert kill_owned_by(machine_cgroups, owner) == 2
        assert process.wait(10) == -9
        assert not any(folder.exists() for group in groups for folder in group.folders.values())
    finally:
        for group in groups:
            group.remove()


def test_sandboxes_of_a_dead_grader_are_swept(machine_cgroups):
    dead = 2**22 + os.getpid() % 1000  # pids are below 2**22: this one cannot be running
    group = SandboxCgroup(machine_cgroups, dead, 256 * 1024**2, processes=5)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], preexec_fn=group.join)
    alive = SandboxCgroup(machine_cgroups, os.getpid(), 256 * 1024**2, processes=5)  # ours: left alone
    try:
        assert sweep_stale(machine_cgroups) >= 1
        assert process.wait(10) == -9
        assert not any(folder.exists() for folder in group.folders.values())
        assert all(folder.exists() for folder in alive.folders.values())
    finally:
        group.remove()
        alive.remove()


def test_cgroup_v2_files(tmp_path: Path):
    """The files a cgroup v2 sandbox writes (checked on a plain folder: this machine may have no v2 controllers)."""
    group = SandboxCgroup(Cgroups(2, {"unified": tmp_path}), 123, 3 * 1024**3, processes=48, cpus=1.0)
    folder = group.folders["unified"]
    assert folder.parent == tmp_path and folder.name.startswith("w123-")
    assert (folder / "memory.max").read_text() == str(3 * 1024**3)
    assert (folder / "memory.swap.max").read_text() == "0"
    assert (folder / "pids.max").read_text() == "48"
    assert (folder / "cpu.max").read_text() == "100000 100000"
    (folder / "cgroup.procs").write_text("")
    start = time.monotonic()
    group.kill()  # writes cgroup.kill, then waits for cgroup.procs to be empty
    assert (folder / "cgroup.kill").read_text() == "1" and time.monotonic() - start < 5
