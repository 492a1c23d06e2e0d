"""The machine, the versions, and the Markdown report of ``python -m benchmarks.run``."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import dataclass, field
from importlib import metadata

from .common import Load, Stats
from .grading import GradingRun, SmallBatches
from .kernels import KernelResult
from .notebooks import CheckRun

#: Above this many cores kept busy by other processes, the report says the machine was busy.
BUSY_CORES = 0.2
#: Class size of the projection printed under the throughput table.
PROJECTED_LEARNERS = 40


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str]:
    import numpy

    cores = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    blas = ""
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{i['internal_api']} {i.get('version') or ''}".strip()
            for i in threadpool_info()
            if i["user_api"] == "blas"
        )
    except ImportError:
        pass
    return {
        "Cores": f"{cores} (usable by this process: {usable})",
        "CPU": _cpu_model(),
        "Memory": f"{_memory_gib():.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "NumPy": f"{numpy.__version__}" + (f" ({blas})" if blas else ""),
        "PyTorch": _version("torch"),
        "nbgrader": _version("nbgrader"),
        "jupyter_client / ipykernel": f"{_version('jupyter_client')} / {_version('ipykernel')}",
    }


@dataclass
class Report:
    """Everything ``benchmarks.run`` measured."""

    command: str
    started: dt.datetime
    machine: dict[str, str]
    options: dict[str, object]
    assignments: list[str]
    learners: int
    mix: dict[str, int]
    missing: list[str] = field(default_factory=list)  # chapters left out: no notebooks yet
    sandbox_mode: str = ""
    stock: list[GradingRun] = field(default_factory=list)
    ours: dict[int, list[GradingRun]] = field(default_factory=dict)  # workers → runs
    probe: dict = field(default_factory=dict)
    notebook_seconds: dict[str, Stats] = field(default_factory=dict)
    course_seconds: Stats = field(default_factory=lambda: Stats([]))
    checks: list[CheckRun] = field(default_factory=list)
    kernels: list[KernelResult] = field(default_factory=list)
    torch_missing: bool = False
    small: SmallBatches | None = None  # late submissions: one notebook, a small batch with 1 and 2 workers
    loads: dict[str, Load] = field(default_factory=dict)  # part → load
    total: Load = field(default_factory=Load)

    # ------------------------------------------------------------------ derived numbers
    def rate(self, runs: list[GradingRun]) -> Stats:
        return Stats([r.rate for r in runs])

    def overhead(self, runs: list[GradingRun]) -> Stats:
        """Seconds per notebook beyond executing its cells: (time × workers − time in cells) / notebooks.

        Stock's time is the sum of its ``autograde`` calls; ours is the run's wall time times its
        workers (worker-seconds, so idle or contended cores count)."""
        values = []
        for run in runs:
            busy = sum(run.per_notebook) if run.tool == "stock" else run.seconds * run.workers
            values.append((busy - run.cells) / run.notebooks)
        return Stats(values)

    def cells(self, runs: list[GradingRun]) -> Stats:
        """Seconds per notebook executing cells (and hidden checks)."""
        return Stats([run.cells / run.notebooks for run in runs])

    def ratio(self, runs: list[GradingRun]) -> float:
        return self.rate(runs).median / self.rate(self.stock).median

    def fixed_cost(self) -> Stats:
        """Our time per run outside the graded notebooks (one worker: wall − Σ per-notebook)."""
        return Stats([r.seconds - sum(r.per_notebook) for r in self.ours.get(1, [])])

    def in_worker_overhead(self) -> Stats:
        """Ours, one worker: seconds per notebook inside the worker beyond executing cells and checks."""
        return Stats([(sum(r.per_notebook) - r.cells) / r.notebooks for r in self.ours.get(1, [])])

    def projection(self, notebooks: int) -> dict[str, float]:
        """Minutes to grade ``notebooks`` notebooks, from this run's costs: stock, its mean time per
        notebook; ours, the per-run cost once plus its marginal time per notebook (a projection)."""
        n = self.stock[0].notebooks
        minutes = {"stock": notebooks * Stats([r.seconds / n for r in self.stock]).median / 60}
        fixed = self.fixed_cost().median if self.ours.get(1) else 0.0
        for workers, runs in sorted(self.ours.items()):
            marginal = Stats([(r.seconds - fixed) / r.notebooks for r in runs]).median
            minutes[f"ours{workers}"] = (fixed + notebooks * marginal) / 60
        return minutes

    def headline(self) -> dict[str, float]:
        """The ratios the closing note quotes."""
        numbers = {}
        for workers, runs in sorted(self.ours.items()):
            numbers[f"throughput_ratio_{workers}w"] = self.ratio(runs)
            numbers[f"overhead_{workers}w"] = self.overhead(runs).median
        numbers["overhead_stock"] = self.overhead(self.stock).median
        for k in self.kernels:
            numbers[f"kernel_ratio_{k.shape}_{k.batch}_{k.threads}t"] = k.ratio
        return numbers


def _n(count: int, noun: str) -> str:
    """``1 learner``, ``2 learners``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _mib(value: float) -> str:
    return "–" if value != value else f"{value:.0f}"  # NaN check


def _load_line(load: Load, cores: int) -> str:
    return (
        f"{load.others_cores:.2f} of {cores} cores used by other processes on average "
        f"(load average {load.loadavg_before[0]:.2f} before, {load.loadavg_after[0]:.2f} after)"
    )


def render(report: Report) -> str:
    cores = os.cpu_count() or 1
    out: list[str] = []
    add = out.append
    add("# ベンチマーク結果 (benchmark results)")
    add("")
    add(f"Generated by `{report.command}` — do not edit; run the command again instead.")
    add("")
    add("## Machine and versions")
    add("")
    add("| | |")
    add("|---|---|")
    add(f"| Date | {report.started.strftime('%Y-%m-%d %H:%M %Z').strip()} |")
    for key, value in report.machine.items():
        add(f"| {key} | {value} |")
    add(f"| Grader sandbox | {report.sandbox_mode} |")
    add(f"| Options | {', '.join(f'{k}={v}' for k, v in report.options.items())} |")
    add(f"| Whole run | {report.total.seconds / 60:.1f} min; {_load_line(report.total, cores)} |")
    add("")
    if report.total.others_cores > BUSY_CORES:
        add(
            f"**The machine was busy**: other processes kept {report.total.others_cores:.2f} of its {cores} cores "
            "busy on average while this ran (per part below). Timings are slower and noisier than on an idle "
            "machine, the parallel runs most of all; the ratios compare runs made under the same conditions "
            "(the tools were run in turn, repeat after repeat)."
        )
        add("")

    # ------------------------------------------------------------------ part 1
    n = report.stock[0].notebooks if report.stock else 0
    mix = ", ".join(f"{kind} {count}" for kind, count in report.mix.items())
    add("## 1. 採点のスループット (autograding throughput)")
    add("")
    add(
        f"Synthetic class: {_n(report.learners, 'learner')} × {_n(len(report.assignments), 'chapter')} = "
        f"{_n(n, 'notebook')} ({mix}). Medians over {_n(len(report.stock), 'run')} after a warm-up, (min–max)."
    )
    add("")
    if report.missing:
        add(f"Left out (no source or release notebook yet): {', '.join(report.missing)}.")
        add("")
    add(
        "| Grader | Workers | Notebooks per minute | Ratio to stock | Seconds per run "
        "| Cells per notebook (s) | Overhead per notebook (s) | Not gradable | Load (other processes, cores) |"
    )
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = [("stock `nbgrader autograde`, student by student", report.stock)]
    rows += [(f"`autograder grade --workers {w}`", runs) for w, runs in sorted(report.ours.items())]
    for name, runs in rows:
        if not runs:
            continue
        ratio = "1.00" if runs is report.stock else f"**{report.ratio(runs):.2f}×**"
        load = report.loads.get(f"grading:{runs[0].tool}:{runs[0].workers}")
        others = f"{load.others_cores:.2f}" if load else "–"
        add(
            f"| {name} | {runs[0].workers} | {report.rate(runs).fmt(1)} | {ratio} "
            f"| {Stats([r.seconds for r in runs]).fmt(1)} | {report.cells(runs).fmt(2)} "
            f"| {report.overhead(runs).fmt(2)} "
            f"| {runs[0].failures} | {others} |"
        )
    add("")
    if report.ours.get(1):
        fixed, inside = report.fixed_cost(), report.in_worker_overhead()
        add(
            f"Our overhead with 1 worker: {fixed.fmt(1)} s per run outside the notebooks (see the steps below), "
            f"i.e. {fixed.median / n:.2f} s per notebook at this class size, and {inside.fmt(2)} s per notebook "
            "inside the worker (sandbox start-up and imports before the first cell, answer extraction, the pipe)."
        )
    if report.ours.get(1) and report.stock:
        big = PROJECTED_LEARNERS * len(report.assignments)
        minutes = report.projection(big)
        parts = [f"stock {minutes['stock']:.1f} min"]
        parts += [
            f"{_n(w, 'worker')} {minutes[f'ours{w}']:.1f} min ({minutes['stock'] / minutes[f'ours{w}']:.2f}× stock)"
            for w in sorted(report.ours)
        ]
        add("")
        add(
            f"*Projection*, not a measurement: {PROJECTED_LEARNERS} learners × "
            f"{_n(len(report.assignments), 'chapter')} = {big} notebooks, paying the per-run cost above once "
            "and each notebook's cost as measured: "
            f"{', '.join(parts)}. Measure it with `python -m benchmarks.run --learners {PROJECTED_LEARNERS}`."
        )
    one = report.ours.get(1, [])
    if one and one[0].phases:
        labels = list(dict.fromkeys(label for run in one for label in run.phases))
        add("")
        add(f"Where one run of `autograder grade --workers 1` spends its time (median of {len(one)} runs):")
        add("")
        add("| Step | Seconds | Share |")
        add("|---|---:|---:|")
        total = Stats([r.seconds for r in one]).median
        rest = Stats([r.seconds - sum(r.phases.values()) for r in one])
        rows_phase = [(label, Stats([r.phases.get(label, 0.0) for r in one])) for label in labels]
        rows_phase.append((f"grading the {one[0].notebooks} notebooks (process pool, sandboxes, checks)", rest))
        for label, stats in rows_phase:
            add(f"| {label} | {stats.fmt(2)} | {100 * stats.median / total:.0f}% |")
    if report.small and report.small.single:
        small = report.small
        single = Stats([run.measured.seconds for run in small.single])
        cells = Stats([run.cells for run in small.single])
        add("")
        add(
            f"Small batches, into an output folder an earlier run prepared (late submissions; correct notebooks "
            f"of {small.chapter}; whole command, process start to reports written; median over {len(small.single)} "
            "repeats):"
        )
        add("")
        add("| Run | Seconds | Of which cells and checks | Beyond them |")
        add("|---|---:|---:|---:|")
        add(
            f"| 1 notebook, 1 worker | {single.fmt(2)} | {cells.fmt(2)} | **{Stats(small.single_overhead()).fmt(2)}** |"
        )
        for workers, runs in sorted(small.batch_runs.items()):
            seconds = Stats([run.measured.seconds for run in runs])
            batch_cells = Stats([run.cells for run in runs])
            beyond = Stats([run.measured.seconds * workers - run.cells for run in runs])
            add(f"| {small.batch} notebooks, {_n(workers, 'worker')} | {seconds.fmt(2)} | {batch_cells.fmt(2)} | "
                f"{beyond.fmt(2)} (worker-seconds) |")  # fmt: skip
        if small.speedups():
            add("")
            add(
                f"{small.batch} notebooks with 2 workers instead of 1: **{Stats(small.speedups()).fmt(2)}×** faster "
                "(per repeat, the batch ran with 1, 2, 2 and 1 workers; ratio of the sums of the runs with 1 and "
                "with 2, so that the machine's drift during a repeat favours neither)."
            )
    if report.probe:
        p = report.probe
        add("")
        add(
            f"Start-up paid per notebook, timed alone (median of {len(p['kernel_start'])}, with "
            "`import numpy, matplotlib.pyplot, course.checks`): a Jupyter kernel (stock) "
            f"{Stats(p['kernel_start']).fmt(2)} s, our sandbox ({p['mode']}) {Stats(p['sandbox_start']).fmt(2)} s."
        )
    add("")

    # ------------------------------------------------------------------ part 2
    add("## 2. ノートブックの実行 (notebook execution)")
    add("")
    add("Each source notebook end to end in a fresh kernel (kernel start-up included), as `autograder build` does;")
    add(f"medians over {_n(len(report.course_seconds.values), 'round')} after a warm-up round, (min–max).")
    add("")
    add("| Notebook | Seconds |")
    add("|---|---:|")
    for assignment, stats in report.notebook_seconds.items():
        add(f"| {assignment} | {stats.fmt(2)} |")
    add(f"| **whole course** ({_n(len(report.notebook_seconds), 'notebook')}, one after the other) | "
        f"**{report.course_seconds.fmt(1)}** |")  # fmt: skip
    add("")
    runs = len(report.checks[0].seconds.values) if report.checks else 0
    add(f"CI notebook checks (the notebook commands of `.ci/run`; {_n(runs, 'run')} each, after the executions above):")
    add("")
    add("| Check | Command | Seconds | Outcome (last run) |")
    add("|---|---|---:|---|")
    for check in report.checks:
        add(f"| {check.name} | `{check.command.replace(' -p no:cacheprovider', '')}` | {check.seconds.fmt(1)} "
            f"| {check.outcome} |")  # fmt: skip
    if report.checks:
        total = Stats([sum(v) for v in zip(*(c.seconds.values for c in report.checks), strict=True)])
        add(f"| **both** | | **{total.fmt(1)}** | |")
    add("")
    for part, what in (("notebooks", "the executions"), ("ci", "the CI checks")):
        if part in report.loads:
            add(f"Load during {what}: {_load_line(report.loads[part], cores)}.")
    add("")

    # ------------------------------------------------------------------ part 3
    add("## 3. 参照実装と PyTorch (reference kernels against PyTorch, CPU)")
    add("")
    add(
        "One training step (forward, backward, Adam update) of the capstone network "
        "(in → 100 → 100 → 10, batch norm, ReLU; `autograder.demo`), float64, random data of the shape, "
        "same number of threads for both. Milliseconds per step: median of the timed steps after warm-up, (min–max)."
    )
    add("")
    if report.torch_missing:
        add("PyTorch is not installed (`pip install -e '.[oracle]'`): only the reference was timed.")
        add("")
    add("| Batch | Threads | `course.reference` (ms) | PyTorch (ms) | Ratio reference / PyTorch |")
    add("|---|---:|---:|---:|---:|")
    for k in report.kernels:
        torch_ms = k.torch.fmt(3, 1e3) if k.torch else "–"
        ratio = f"**{k.ratio:.2f}**" if k.torch else "–"
        add(f"| {k.shape} {k.inputs}→…, batch {k.batch} | {k.threads} | {k.reference.fmt(3, 1e3)} | {torch_ms} "
            f"| {ratio} |")  # fmt: skip
    if report.kernels:
        add("")
        blas = sorted({k.blas for k in report.kernels if k.blas})
        if blas:
            add(f"NumPy's BLAS as the reference runs saw it: {'; '.join(blas)}.")
        load = report.loads.get("kernels")
        if load:
            add(f"Load during this part: {_load_line(load, cores)}.")
    add("")

    # ------------------------------------------------------------------ part 4
    add("## 4. 採点のピークメモリ (peak memory of the grader)")
    add("")
    add(
        "Resident memory sampled every 0.1 s over each grading run's process tree; the largest value over "
        "all runs. A worker is one grading process with what it started: for stock nbgrader the nbgrader "
        "process and its kernel, for ours one pool worker with its sandbox (bubblewrap and the learner's "
        "interpreter). The largest single process is exact (`wait4`)."
    )
    add("")
    add("| Grader | Workers | Peak per worker (MiB) | Main process (MiB) | Whole tree (MiB) | Largest process (MiB) |")
    add("|---|---:|---:|---:|---:|---:|")
    for name, runs in rows:
        if not runs:
            continue
        peaks = [r.measured.peaks for r in runs if r.measured]
        worker = max((r.worker_mib for r in runs), default=float("nan"))
        main = max((p.get("main", 0.0) for p in peaks), default=float("nan"))
        tree = max((p.get("tree", 0.0) for p in peaks), default=float("nan"))
        single = max((r.measured.max_rss_single for r in runs if r.measured), default=float("nan"))
        add(f"| {name} | {runs[0].workers} | {_mib(worker)} | {_mib(main)} | {_mib(tree)} | {_mib(single)} |")
    add("")

    # ------------------------------------------------------------------ method
    add("## Method")
    add("")
    add(
        "- **Stock nbgrader**: an nbgrader course made by `prepare_course_dir` (assignments generated before "
        "timing, as an instructor does at release time) with the class under `submitted/<student>/<assignment>/`; "
        "one `NbGraderAPI.autograde(assignment, student)` call after the other, in one Python process (a shell "
        "loop over `nbgrader autograde --student` would also pay one interpreter start per call). A fresh copy "
        "of the course for each run."
    )
    add(
        "- **`autograder grade`**: `run_grade(class, OUT, workers=w, force=True)` into a fresh OUT each run, "
        "so nothing is reused; its time includes its whole job (discovery, bundle, sandboxed grading, CSV/HTML "
        "reports, nbgrader gradebook and formgrader copies). One worker, and one worker per core."
    )
    add(
        "- The tools run in turn within each repeat (stock, 1 worker, one per core), each in a subprocess of "
        "its own; times are measured inside that process, from the call to its return."
    )
    add(
        "- **Overhead per notebook beyond executing its cells** = (time × workers − time in cells) / notebooks, "
        "each tool's time in cells measured in the same run: for stock, the kernel's own time for each code cell "
        "of each notebook it executed (`iopub.execute_input` to `shell.execute_reply`, recorded by nbclient in "
        "the `autograded/` notebooks; a notebook nbgrader could not open has none); for ours, each call that "
        "runs a cell in the sandbox (instructor's code, the learner's answer) or a hidden check, timed in the "
        "grading workers. Stock's time is the sum of its `autograde` calls; ours is wall time × workers "
        "(worker-seconds: a core left idle by the per-run steps, or slowed by the other worker, counts). What "
        "remains is kernel or sandbox start-up, conversion, the database, reports. The cells are not the same "
        "work in both: a Jupyter kernel renders every figure (inline PNG) and runs the public tests; ours "
        "draws with Agg without rendering and runs the hidden checks only, hence its fewer seconds in cells."
    )
    add(
        "- **Notebook execution**: `autograder.build.execute_notebook` on each source notebook, all notebooks per "
        "round; the whole course is the sum of one round. The CI checks run after part 2's executions (their "
        "warm-up)."
    )
    add(
        "- **Kernels**: each implementation and thread count in its own subprocess with `OMP_NUM_THREADS`, "
        "`OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS` and threadpoolctl set to the thread count, and "
        "`torch.set_num_threads` for PyTorch; PyTorch's default Adam on CPU and `CrossEntropyLoss` on logits "
        "(the reference: softmax + cross-entropy with eps 1e-7)."
    )
    add(
        "- **Load**: CPU time of the whole machine (`/proc/stat`) minus the CPU time of this benchmark and its "
        "subprocesses, divided by the wall time: how many cores other processes kept busy. Our subprocesses' time "
        "is what `getrusage` counts for the processes waited for, plus what sampling every 0.1 s saw of the "
        "others (bubblewrap's outer process exits without reaping the sandbox, so `getrusage` never counts it)."
    )
    add("")
    return "\n".join(out)
