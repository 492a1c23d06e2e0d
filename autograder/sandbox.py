"""The sandbox a learner's code runs in: resource limits, and bubblewrap where it exists.

Two levels, and the grader says which one it used:

- ``bubblewrap``: the learner's process sees a read-only file system in which the
  repository (reference solutions, hidden checks), the submissions folder and the output
  folder are replaced by empty directories; it has no network (own network namespace),
  its own process namespace, and a size-limited private ``/tmp``.
- ``rlimits`` (the weaker limits, when bubblewrap is missing): the same resource limits
  and an unprivileged user id when run as root, but the file system and the network are
  those of the machine.

In both, the process runs with limits on memory, CPU time, file size, open files and
number of processes, in a fresh temporary directory, with a clean environment.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .build import REPO_ROOT

#: Where the learner bundle and the agent appear inside the bubblewrap sandbox.
SANDBOX_BUNDLE = Path("/tmp/course-bundle")
SANDBOX_AGENT = Path("/tmp/sandbox_agent.py")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one learner process."""

    memory_bytes: int = 3 * 1024**3  # address space of the learner process
    cpu_seconds: int = 600  # CPU time of the whole learner process
    file_bytes: int = 32 * 1024**2  # largest file it may write (its output log included)
    open_files: int = 256
    processes: int = 48  # tasks (threads count) of its user id
    tmp_bytes: int = 256 * 1024**2  # size of its private /tmp (bubblewrap only)


def bubblewrap() -> str | None:
    """Path of a working ``bwrap``, or None."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    import subprocess

    probe = subprocess.run(
        [path, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--dev", "/dev", "true"],
        capture_output=True,
        timeout=20,
    )
    return path if probe.returncode == 0 else None


def describe(mode: str) -> str:
    if mode == "bubblewrap":
        return (
            "サンドボックス: bubblewrap (読み取り専用のファイルシステム、講師用ファイルの隠蔽、ネットワークなし) "
            "と資源制限 (sandbox: bubblewrap + resource limits)"
        )
    return (
        "警告: bubblewrap が使えないため、資源制限 (メモリ・CPU 時間・ファイルサイズ・開けるファイル数) "
        "だけで実行しました。"
        "受講者のコードはファイルの読み書き (採点結果を含む) とネットワークが可能で、root で実行した場合は"
        "プロセス数を os.fork の回数でしか制限できません。提出物を信頼できない場合は bubblewrap を入れてください "
        "(weaker limits only: learner code can read and write files, including saved grades; install bubblewrap)."
    )


def _python_prefixes() -> list[Path]:
    prefixes = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent}
    return sorted(prefixes)


def command(
    mode: str,
    agent_script: Path,
    workdir: Path,
    bundle_dir: Path,
    hidden: list[Path],
    uid: int,
    limits: Limits,
) -> list[str]:
    """The argv that starts the agent in the sandbox. ``hidden``: folders to replace by empty ones."""
    python = sys.executable
    if mode != "bubblewrap":
        log_path = str(workdir / "learner-output.log")
        return [python, "-X", "utf8", str(agent_script), log_path, str(uid), str(limits.processes)]
    agent_args = [python, "-X", "utf8", str(SANDBOX_AGENT), "/tmp/learner-output.log", str(uid), str(limits.processes)]
    argv = [
        shutil.which("bwrap") or "bwrap",
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
        "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
        "--die-with-parent", "--new-session",
        "--perms", "01777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
    ]  # fmt: skip
    for folder in hidden:
        argv += ["--tmpfs", str(folder)]
    # The interpreter and its packages may live under a hidden folder (a venv inside the repository,
    # pyenv in the home folder): bind back the folder just below the hidden one that contains them,
    # so that no directory bubblewrap has to create (mode 0700) stands in the way of the unprivileged uid.
    rebound: set[Path] = set()
    for prefix in _python_prefixes():
        for folder in hidden:
            if folder in prefix.parents:
                rebound.add(folder / prefix.relative_to(folder).parts[0])
    for path in sorted(rebound):
        argv += ["--ro-bind", str(path), str(path)]
    # Fixed places directly in the private /tmp: a mount point deeper down would need folders that
    # bubblewrap creates with mode 0700, which the unprivileged uid could not traverse.
    argv += ["--ro-bind", str(bundle_dir), str(SANDBOX_BUNDLE), "--ro-bind", str(agent_script), str(SANDBOX_AGENT)]
    argv += ["--chdir", "/tmp", "--setenv", "HOME", "/tmp", "--setenv", "IPYTHONDIR", "/tmp/.ipython"]
    return argv + agent_args


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
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }


def preexec(limits: Limits):
    """Resource limits applied in the child before it execs the sandbox."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.umask(0o022)  # bubblewrap creates mount points with it: they must stay traversable

    return apply


def default_hidden(extra: list[Path]) -> list[Path]:
    """Folders the learner must not see: the repository, the grader's home and the grader's own folders."""
    folders = {REPO_ROOT.resolve(), Path.home().resolve(), *(p.resolve() for p in extra)}
    return sorted(folders)


def sandbox_uid(mode: str) -> int:
    """The uid the learner runs as: an unprivileged one of this grading process under bubblewrap
    when we are root (-1: keep ours; without bubblewrap the interpreter may not be readable by others)."""
    return 100_000 + os.getpid() if mode == "bubblewrap" and os.getuid() == 0 else -1


DEFAULT_LIMITS = Limits()
