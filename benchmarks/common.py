"""Shared helpers: statistics of repeated timings, measured subprocesses, and how busy the machine was."""

from __future__ import annotations

import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MIB = 1024 * 1024

#: Environment of every benchmark subprocess (no progress bars, reproducible hashing).
BASE_ENV = {"COURSE_PROGRESS": "0", "PYTHONHASHSEED": "0", "PYTHONWARNINGS": "ignore"}


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **BASE_ENV, **extra}
    # the repository root first, so that `benchmarks` and the course import without an install
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


@dataclass
class Stats:
    """Median, min and max of repeated measurements (after the warm-up, which is not included)."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def min(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def max(self) -> float:
        return max(self.values) if self.values else float("nan")

    def fmt(self, digits: int = 1, scale: float = 1.0) -> str:
        """``median (min–max)``; just the value when there is one measurement."""
        if not self.values:
            return "–"
        m, lo, hi = self.median * scale, self.min * scale, self.max * scale
        if len(self.values) == 1:
            return f"{m:.{digits}f}"
        return f"{m:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


# ----------------------------------------------------------------------------- machine load
def _busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


#: CPU seconds of descendants that no process of ours waited for (see ``run_measured``), so that
#: ``getrusage`` never counted them: bubblewrap's outer process exits without reaping the sandbox.
_UNREAPED_CPU = [0.0]


def _own_cpu_seconds() -> float:
    """CPU seconds of this process and of all its descendants (those waited for, from getrusage,
    and the others as sampled by ``run_measured``)."""
    total = _UNREAPED_CPU[0]
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


@dataclass
class Load:
    """How much of the machine other processes used while a part of the benchmark ran."""

    seconds: float = 0.0
    machine_cpu: float = 0.0  # CPU seconds used on the whole machine
    own_cpu: float = 0.0  # ... by the benchmark and its subprocesses
    loadavg_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    loadavg_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def others_cores(self) -> float:
        """Average number of cores other processes kept busy (0 on an idle machine)."""
        if self.seconds <= 0:
            return 0.0
        return max(0.0, (self.machine_cpu - self.own_cpu) / self.seconds)


class LoadMeter:
    """``with LoadMeter() as load: ...`` records the machine's CPU use minus ours over the block."""

    def __enter__(self) -> Load:
        self.load = Load(loadavg_before=os.getloadavg())
        self._busy0, _ = _busy_jiffies()
        self._own0 = _own_cpu_seconds()
        self._t0 = time.monotonic()
        return self.load

    def __exit__(self, *exc: object) -> None:
        busy1, _ = _busy_jiffies()
        self.load.seconds = time.monotonic() - self._t0
        self.load.machine_cpu = (busy1 - self._busy0) / os.sysconf("SC_CLK_TCK")
        self.load.own_cpu = _own_cpu_seconds() - self._own0
        self.load.loadavg_after = os.getloadavg()


# ----------------------------------------------------------------------------- measured subprocesses
@dataclass
class Measured:
    """A finished subprocess: its exit status, wall time, and memory of its process tree."""

    returncode: int
    seconds: float
    max_rss_single: float  # MiB, largest resident set of any one process of the tree (exact, from wait4)
    cpu_seconds: float  # user + system of the whole tree, as far as it was waited for (wait4)
    unreaped_cpu: float = 0.0  # user + system sampled in the tree beyond that (processes reaped elsewhere)
    peaks: dict[str, float] = field(default_factory=dict)  # MiB, sampled (see ``group``)

    def to_json(self) -> dict:
        return asdict(self)


def _rss(process) -> int:
    try:
        return process.memory_info().rss
    except Exception:  # noqa: BLE001 - the process ended between listing and reading
        return 0


def run_measured(
    argv: Sequence[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    group: Callable | None = None,
    interval: float = 0.1,
    timeout: float | None = None,
) -> Measured:
    """Run ``argv`` and sample the resident memory of its process tree every ``interval`` s.

    ``group(root, descendants)`` maps one sample to named RSS sums in bytes (for example one
    entry per worker: the worker plus its sandbox); the peak of each name over the run is
    kept. The exact peak of the largest single process comes from ``os.wait4``.
    """
    import psutil

    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    start = time.monotonic()
    process = subprocess.Popen(
        list(argv), env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    peaks: dict[str, float] = {}
    cpu: dict[tuple[int, float], float] = {}  # (pid, start time) → its own user + system seconds, last seen
    stop = threading.Event()

    def sample() -> None:
        try:
            root = psutil.Process(process.pid)
        except psutil.Error:
            return
        while not stop.is_set():
            try:
                descendants = root.children(recursive=True)
            except psutil.Error:
                break
            sizes = group(root, descendants) if group else {"tree": _rss(root) + sum(_rss(p) for p in descendants)}
            for name, size in sizes.items():
                peaks[name] = max(peaks.get(name, 0.0), size / MIB)
            for member in (root, *descendants):
                try:
                    times = member.cpu_times()
                    cpu[(member.pid, member.create_time())] = times.user + times.system
                except psutil.Error:
                    continue
            stop.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
            time.sleep(0.05)
    except BaseException:  # interrupted: take the subprocess and what it started down with us
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        raise
    finally:
        stop.set()
        sampler.join()
        if log:
            out.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    waited = usage.ru_utime + usage.ru_stime
    # a lower bound: the sampled times miss up to one interval of each process that ended
    unreaped = max(0.0, sum(cpu.values()) - waited)
    _UNREAPED_CPU[0] += unreaped
    return Measured(
        returncode=process.returncode,
        seconds=time.monotonic() - start,
        max_rss_single=usage.ru_maxrss / 1024,  # KiB on Linux
        cpu_seconds=waited,
        unreaped_cpu=unreaped,
        peaks=peaks,
    )


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_json(path: Path, data) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
