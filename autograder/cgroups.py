"""Limits for a whole sandbox, not per process: one control group (cgroup) per sandbox.

A sandbox's processes (the learner's interpreter and everything it forks) share one memory
limit, one process limit and one CPU share, and are killed together, however they detach.
Two mechanisms, tried in this order, and the grader says which one ran:

- ``cgroup v2``: a delegated subtree of the unified hierarchy (the grader's own cgroup must
  already enable the ``memory`` and ``pids`` controllers for its children, as systemd does for
  a ``Delegate=yes`` unit); killed with ``cgroup.kill``.
- ``cgroup v1``: the ``memory``, ``pids``, ``cpu`` and ``freezer`` hierarchies (writable when
  the grader runs as root on a v1 or hybrid system); killed by freezing, then SIGKILL to every
  task.

Without either, only the per-process resource limits apply (``autograder.sandbox``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cgroups", "SandboxCgroup", "detect", "kill_owned_by", "sweep_stale"]

#: Name of the folder, under the grader's own cgroup, that holds the sandboxes' cgroups.
PARENT = "dl-course-sandboxes"
CPU_PERIOD_US = 100_000
_V1_CONTROLLERS = ("memory", "pids", "cpu", "freezer")


@dataclass(frozen=True)
class Cgroups:
    """Where sandbox cgroups are made: ``version`` 2 with one parent folder, or 1 with one per controller."""

    version: int
    parents: dict[str, Path]  # controller ("unified" for v2) -> parent folder of the sandboxes

    def describe(self) -> str:
        if self.version == 2:
            return "cgroup v2 (サンドボックスごとのメモリ・プロセス数・CPU の上限 (per-sandbox limits))"
        return "cgroup v1 (サンドボックスごとのメモリ・プロセス数・CPU の上限 (per-sandbox limits))"


def _mounts() -> list[tuple[str, str, str]]:
    """(mount point, file system type, super options) of the cgroup file systems."""
    found = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], tail[0], tail[2]))
    return found


def _own_paths() -> dict[str, str]:
    """This process's cgroup per controller (v1) and under "unified" (v2)."""
    paths: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else ["unified"]:
            paths[controller] = path
    return paths


def _writable_parent(base: Path) -> Path | None:
    parent = base / PARENT
    try:
        parent.mkdir(exist_ok=True)
        probe = parent / f"probe-{uuid.uuid4().hex[:8]}"
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return None
    return parent


def detect() -> Cgroups | None:
    """The cgroup mechanism this process may use for sandboxes, or None."""
    own = _own_paths()
    for mount, kind, _ in _mounts():
        if kind != "cgroup2" or "unified" not in own:
            continue
        base = Path(mount) / own["unified"].lstrip("/")
        try:
            enabled = set((base / "cgroup.subtree_control").read_text().split())
        except OSError:
            continue
        if {"memory", "pids"} <= enabled:
            parent = _writable_parent(base)
            if parent is not None:
                try:  # the parent passes the controllers on to the sandboxes
                    (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in sorted(enabled)))
                except OSError:
                    continue
                return Cgroups(2, {"unified": parent})
    parents: dict[str, Path] = {}
    for mount, kind, options in _mounts():
        if kind != "cgroup":
            continue
        for controller in set(options.split(",")) & set(_V1_CONTROLLERS):
            if controller in own and controller not in parents:
                parent = _writable_parent(Path(mount) / own[controller].lstrip("/"))
                if parent is not None:
                    parents[controller] = parent
    if {"memory", "pids", "freezer"} <= set(parents):
        return Cgroups(1, parents)
    return None


class SandboxCgroup:
    """The cgroup(s) of one sandbox: created with its limits, joined by the sandbox's first
    process before it execs, killed and removed with everything in it."""

    def __init__(self, cgroups: Cgroups, owner: int, memory_bytes: int, processes: int, cpus: float = 1.0) -> None:
        self.cgroups = cgroups
        self.name = f"w{owner}-{uuid.uuid4().hex[:12]}"  # owner: the grading process (see kill_owned_by)
        self.folders = {c: parent / self.name for c, parent in cgroups.parents.items()}
        for folder in self.folders.values():
            folder.mkdir()
        quota = f"{int(CPU_PERIOD_US * cpus)} {CPU_PERIOD_US}"
        if cgroups.version == 2:
            folder = self.folders["unified"]
            _write(folder / "memory.max", str(memory_bytes))
            _write(folder / "memory.swap.max", "0", optional=True)
            _write(folder / "pids.max", str(processes))
            _write(folder / "cpu.max", quota, optional=True)
        else:
            _write(self.folders["memory"] / "memory.limit_in_bytes", str(memory_bytes))
            _write(self.folders["memory"] / "memory.memsw.limit_in_bytes", str(memory_bytes), optional=True)
            _write(self.folders["pids"] / "pids.max", str(processes))
            if "cpu" in self.folders:
                _write(self.folders["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US), optional=True)
                _write(self.folders["cpu"] / "cpu.cfs_quota_us", str(int(CPU_PERIOD_US * cpus)), optional=True)

    def join(self) -> None:
        """Move the calling process in (call it in the sandbox's process before exec)."""
        for folder in self.folders.values():
            (folder / "cgroup.procs").write_text("0")  # 0: the writing process itself

    def pids(self) -> set[int]:
        found: set[int] = set()
        for folder in self.folders.values():
            with contextlib.suppress(OSError, ValueError):
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return found

    def peak_memory(self) -> int | None:
        name = "memory.peak" if self.cgroups.version == 2 else "memory.max_usage_in_bytes"
        folder = self.folders["unified" if self.cgroups.version == 2 else "memory"]
        try:
            return int((folder / name).read_text())
        except (OSError, ValueError):
            return None

    def kill(self) -> None:
        """Kill every process of the sandbox, forked or detached; returns when none is left."""
        _kill_folders(self.cgroups.version, self.folders)

    def remove(self) -> None:
        self.kill()
        for folder in self.folders.values():
            _rmdir(folder)


def _write(path: Path, value: str, optional: bool = False) -> None:
    try:
        path.write_text(value)
    except OSError:
        if not optional:
            raise


def _rmdir(folder: Path) -> None:
    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)  # the last task is still exiting


def _kill_folders(version: int, folders: dict[str, Path]) -> None:
    if version == 2:
        folder = folders["unified"]
        if _write_ok(folder / "cgroup.kill", "1"):
            _wait_empty(folder)
            return
    freezer = folders.get("freezer")
    for attempt in range(100):
        if freezer is not None:
            _write_ok(freezer / "freezer.state", "FROZEN")  # nobody forks while we kill
        pids: set[int] = set()
        for folder in folders.values():
            with contextlib.suppress(OSError, ValueError):
                pids |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if freezer is not None:
            _write_ok(freezer / "freezer.state", "THAWED")  # killed tasks die once thawed
        if not pids:
            return
        time.sleep(0.01 * (attempt + 1))


def _write_ok(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
    except OSError:
        return False
    return True


def _wait_empty(folder: Path, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if not (folder / "cgroup.procs").read_text().split():
                return
        except OSError:
            return
        time.sleep(0.01)


def kill_owned_by(cgroups: Cgroups | None, owner: int) -> int:
    """Kill and remove the sandboxes of a grading process that was killed (``owner``: its pid);
    returns how many there were."""
    if cgroups is None:
        return 0
    names: set[str] = set()
    for parent in cgroups.parents.values():
        with contextlib.suppress(OSError):
            names |= {p.name for p in parent.iterdir() if p.is_dir() and p.name.startswith(f"w{owner}-")}
    for name in names:
        folders = {c: parent / name for c, parent in cgroups.parents.items()}
        _kill_folders(cgroups.version, folders)
        for folder in folders.values():
            _rmdir(folder)
    return len(names)


def sweep_stale(cgroups: Cgroups | None) -> int:
    """Kill and remove the sandboxes left by grading processes that no longer exist (a grader
    that was killed outright); returns how many owners were swept."""
    if cgroups is None:
        return 0
    owners: set[int] = set()
    for parent in cgroups.parents.values():
        with contextlib.suppress(OSError):
            for folder in parent.iterdir():
                owner = folder.name[1:].partition("-")[0]
                if folder.is_dir() and folder.name.startswith("w") and owner.isdigit():
                    owners.add(int(owner))
    swept = 0
    for owner in owners:
        try:
            os.kill(owner, 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        kill_owned_by(cgroups, owner)
        swept += 1
    return swept
