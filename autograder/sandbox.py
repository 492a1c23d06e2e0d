"""The sandbox a learner's code runs in, and which of its layers this machine provides.

Layers (each is said in the grader's output and in report.html when it did not run):

- ``bubblewrap``: an ALLOW-LIST file system. The sandbox sees the system's programs and
  libraries (``/usr`` and its links), the Python interpreter and its packages (their own
  folders, read-only), the learner bundle and the agent script, a private size-limited
  ``/tmp`` and its own ``/proc`` and ``/dev``; nothing else (no ``/home``, ``/root``, ``/run``,
  ``/var``, ``/etc`` beyond the linker's cache and fonts, no repository, no other sandbox, no
  host socket). No network (own network namespace), own PID, IPC and UTS namespaces; it dies
  with its grading process. As root, it runs as a fresh unprivileged uid
  (:mod:`autograder.sandbox_uids`).
- ``cgroup`` (v2 delegated subtree or v1, :mod:`autograder.cgroups`): memory, processes and
  CPU limited for the WHOLE sandbox, and everything in it killed together.
- ``seccomp`` (installed by the agent itself, x86-64): system calls grading never needs are
  refused (ptrace, keyctl/add_key/request_key, mount, unshare/setns and namespace flags of
  clone, bpf, perf_event_open, io_uring, new sockets other than Unix ones, kernel modules).
- ``rlimits`` (always): per-process address space, CPU time, file size, open files, and the
  number of processes of the sandbox's uid.

Without bubblewrap (``rlimits`` mode) the learner's process sees the machine's files and
network as the grader's user does; the grader warns about it.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cgroups import Cgroups, SandboxCgroup
from .cgroups import detect as detect_cgroups

#: One BLAS/OpenMP thread in every process that computes for grading (sandboxes, grading workers, notebook
#: kernels of the build): the same rounding on every path, and no oversubscription when processes run in parallel.
ONE_MATH_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

#: Where the learner bundle and the agent appear inside the bubblewrap sandbox.
SANDBOX_BUNDLE = Path("/tmp/course-bundle")
SANDBOX_AGENT = Path("/tmp/sandbox_agent.py")
#: System folders the sandbox may read (when they exist; merged-/usr links are recreated as links).
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: CPU seconds of a process that learner code forks, where the sandbox's cgroup or PID namespace
#: kills it with the sandbox (elsewhere 1 s: a detached child could outlive the grading).
FORKED_CPU_SECONDS = 60
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/fonts", "/etc/localtime")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox."""

    memory_bytes: int = 3 * 1024**3  # the whole sandbox (cgroup); also each process's address space
    cpu_seconds: int = 600  # CPU time of each process
    file_bytes: int = 32 * 1024**2  # largest file it may write (its output log included)
    open_files: int = 256
    processes: int = 48  # tasks (threads count) of the whole sandbox (cgroup) and of its uid
    tmp_bytes: int = 256 * 1024**2  # size of its private /tmp (bubblewrap only)
    cpus: float = 1.0  # CPU share of the whole sandbox (cgroup)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Setup:
    """The sandbox layers available on this machine (see the module docstring)."""

    mode: str  # "bubblewrap" or "rlimits"
    cgroups: Cgroups | None = None
    seccomp: bool = False  # the agent can install its filter on this architecture

    def describe(self) -> str:
        """One paragraph for the instructor (Japanese, with the English)."""
        parts = []
        if self.mode == "bubblewrap":
            parts.append(
                "bubblewrap (許可したものだけが見えるファイルシステム、ネットワークなし、受講者ごとの新しい uid) "
                "(allow-list file system, no network, fresh uid)"
            )
        parts.append(
            self.cgroups.describe()
            if self.cgroups is not None
            else "cgroup なし: メモリとプロセス数はプロセスごと・uid ごとの上限だけ (no cgroup: per-process limits)"
        )
        parts.append(
            "seccomp (不要なシステムコールを拒否) (system call filter)"
            if self.seccomp
            else "seccomp なし (このアーキテクチャでは未対応) (no system call filter)"
        )
        text = "サンドボックス: " + "、".join(parts) + "。"
        if self.mode != "bubblewrap":
            text = (
                "警告: bubblewrap が使えないため、資源制限 (メモリ・CPU 時間・ファイルサイズ・開けるファイル数) "
                "だけで実行しました。受講者のコードはファイルの読み書き (採点結果を含む) とネットワークが可能です。"
                "提出物を信頼できない場合は bubblewrap を入れてください "
                "(weaker limits only: learner code can read and write files, including saved grades; "
                "install bubblewrap). " + text
            )
        return text


def bubblewrap() -> str | None:
    """Path of a working ``bwrap``, or None."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    argv = [path, *_system_mounts(), "--unshare-net", "--unshare-pid", "--dev", "/dev"]
    probe = subprocess.run([*argv, "/usr/bin/true"], capture_output=True, timeout=20)
    return path if probe.returncode == 0 else None


def seccomp_supported() -> bool:
    """The agent's filter knows this architecture's system call numbers (x86-64)."""
    return platform.machine() in ("x86_64", "AMD64")


def detect() -> Setup:
    """The layers this machine provides, for this process (root or not)."""
    mode = "bubblewrap" if bubblewrap() else "rlimits"
    return Setup(mode, detect_cgroups(), seccomp_supported())


def _python_folders() -> list[Path]:
    """Folders that hold the interpreter and its packages: the environment, the base installation,
    and package folders that ``.pth`` files add (never other folders of ``sys.path``, such as a
    repository that an old-style editable install puts there)."""
    folders = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.base_exec_prefix)}
    folders.add(Path(sys.executable).resolve().parent.parent)
    folders |= {Path(p) for p in sys.path if Path(p).name in ("site-packages", "dist-packages")}
    resolved = sorted({f.resolve() for f in folders if f.exists()})
    # a folder inside another one is bound with it
    return [f for f in resolved if not any(other in f.parents for other in resolved)]


def _system_mounts() -> list[str]:
    argv: list[str] = []
    for name in SYSTEM_FOLDERS:
        path = Path(name)
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            argv += ["--ro-bind", name, name]
    for name in SYSTEM_FILES:
        argv += ["--ro-bind-try", name, name]
    return argv


def _bind_with_parents(path: Path, created: set[Path]) -> list[str]:
    """Bind ``path`` read-only, creating its parent folders traversable (bubblewrap would make them 0700)."""
    argv: list[str] = []
    for parent in reversed(path.parents):
        if parent == Path("/") or parent in created or str(parent) in SYSTEM_FOLDERS:
            continue
        if any(str(parent).startswith(name + "/") for name in ("/usr",)):
            continue
        created.add(parent)
        argv += ["--perms", "0755", "--dir", str(parent)]
    return argv + ["--ro-bind", str(path), str(path)]


def command(
    mode: str, agent_script: Path, workdir: Path, bundle_dir: Path, uid: int, limits: Limits, cgroup: bool = False
) -> list[str]:
    """The argv that starts the agent in the sandbox (``workdir``: its scratch folder outside;
    ``cgroup``: the sandbox has one, so every process in it dies with it)."""
    python = sys.executable
    forked_cpu = str(FORKED_CPU_SECONDS if cgroup or mode == "bubblewrap" else 1)
    if mode != "bubblewrap":
        log_path = str(workdir / "learner-output.log")
        return [python, "-X", "utf8", str(agent_script), log_path, str(uid), str(limits.processes), forked_cpu]
    argv = [
        shutil.which("bwrap") or "bwrap",
        "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session",
        "--proc", "/proc",
        "--dev", "/dev",
        "--perms", "01777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
    ]  # fmt: skip
    argv += _system_mounts()
    created: set[Path] = {Path("/tmp")}
    for folder in _python_folders():
        if not any(str(folder) == name or str(folder).startswith(name + "/") for name in ("/usr",)):
            argv += _bind_with_parents(folder, created)
    # fixed places directly in the private /tmp
    argv += ["--ro-bind", str(bundle_dir), str(SANDBOX_BUNDLE), "--ro-bind", str(agent_script), str(SANDBOX_AGENT)]
    argv += ["--chdir", "/tmp", "--setenv", "HOME", "/tmp", "--setenv", "IPYTHONDIR", "/tmp/.ipython"]
    log_path = "/tmp/learner-output.log"
    return [*argv, python, "-X", "utf8", str(SANDBOX_AGENT), log_path, str(uid), str(limits.processes), forked_cpu]


def environment(mode: str, workdir: Path, bundle_dir: Path) -> dict[str, str]:
    home = "/tmp" if mode == "bubblewrap" else str(workdir)
    bundle = str(SANDBOX_BUNDLE) if mode == "bubblewrap" else str(bundle_dir)
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": home,
        "IPYTHONDIR": f"{home}/.ipython",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "PYTHONPATH": bundle,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "COURSE_PROGRESS": "0",
        **ONE_MATH_THREAD,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }


def preexec(limits: Limits, cgroup: SandboxCgroup | None = None) -> Callable[[], None]:
    """Runs in the child before it execs the sandbox: joins the sandbox's cgroup, sets the limits."""

    def apply() -> None:
        if cgroup is not None:
            cgroup.join()
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.umask(0o022)  # bubblewrap creates mount points with it: they must stay traversable

    return apply


def fresh_uid_wanted(mode: str) -> bool:
    """A fresh unprivileged uid per sandbox: as root under bubblewrap (which makes the interpreter
    readable to it; without bubblewrap it may live in a folder only root can enter)."""
    return mode == "bubblewrap" and os.getuid() == 0
