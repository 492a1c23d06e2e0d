"""``python -m benchmarks.run``: measure on this machine, print a Markdown table, write ``benchmarks/RESULTS.md``.

1. Autograding throughput on a synthetic class: stock ``nbgrader autograde`` student by student
   against ``autograder grade`` with one worker and with one worker per core; notebooks per
   minute, the ratio to stock, and the overhead per notebook beyond executing its cells.
2. Executing each source notebook end to end and the whole course; the CI notebook checks.
3. One training step of the capstone network, ``course.reference`` against PyTorch (CPU).
4. Peak memory of the grader per worker.

Timings are medians over ``--repeats`` runs after a warm-up, with min and max. The default
class has about 20 notebooks (2 learners × 10 chapters) so that the whole run stays near
20 minutes on 2 cores; ``--learners`` scales it up (e.g. ``--learners 40``), ``--quick`` is the
smoke test's tiny run (2 learners × 1 chapter, 1 repeat).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from . import grading, kernels, notebooks
from .common import REPO_ROOT, Load, LoadMeter, Stats
from .report import Report, machine_info, render

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "RESULTS.md"
#: Size of the default class: about this many notebooks (2 learners × 10 chapters, 4 × 5).
DEFAULT_NOTEBOOKS = 20
#: Notebooks of the small batch graded with one worker and with two (4 in the quick mode).
SMALL_BATCH = 8


def _merge(loads: list[Load]) -> Load:
    merged = Load(loadavg_before=loads[0].loadavg_before, loadavg_after=loads[-1].loadavg_after)
    for load in loads:
        merged.seconds += load.seconds
        merged.machine_cpu += load.machine_cpu
        merged.own_cpu += load.own_cpu
    return merged


_STARTED = time.monotonic()


def _say(message: str) -> None:
    minutes, seconds = divmod(round(time.monotonic() - _STARTED), 60)
    print(f"[benchmarks {minutes:3d}:{seconds:02d}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--learners",
        type=int,
        default=None,
        help=f"learners in the synthetic class (default: ~{DEFAULT_NOTEBOOKS} notebooks)",
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed runs after the warm-up (default 3)")
    parser.add_argument("--chapters", nargs="+", default=None, help="chapters to grade (default: all)")
    parser.add_argument("--quick", action="store_true", help="tiny run: 2 learners × 1 chapter, 1 repeat")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown file to write")
    parser.add_argument("--work", type=Path, default=None, help="keep the working files here (default: temporary)")
    parser.add_argument(
        "--ci-repeats",
        type=int,
        default=None,
        help="timed runs of each CI notebook check (default 1; --repeats if given)",
    )
    parser.add_argument("--skip-ci", action="store_true", help="do not time the CI notebook checks")
    args = parser.parse_args(argv)
    args.ci_repeats = args.ci_repeats or args.repeats or 1
    args.repeats = args.repeats or (1 if args.quick else 3)
    if (args.learners is not None and args.learners < 1) or args.repeats < 1:
        parser.error("--learners and --repeats must be at least 1")
    return args


def available_chapters() -> tuple[list[str], list[str]]:
    """(chapters with a source and a release notebook, chapters without: being written)."""
    from autograder.build import assignment_ids

    ready, missing = [], []
    for assignment in assignment_ids():
        notebooks = [REPO_ROOT / f / assignment / f"{assignment}.ipynb" for f in ("source_notebooks", "release")]
        (ready if all(p.exists() for p in notebooks) else missing).append(assignment)
    return ready, missing


def default_learners(chapters: int, quick: bool) -> int:
    """About DEFAULT_NOTEBOOKS notebooks in the class, at least 2 learners (2 in the quick mode)."""
    return 2 if quick else max(2, math.ceil(DEFAULT_NOTEBOOKS / max(chapters, 1)))


def run(args: argparse.Namespace, work: Path) -> Report:
    everything, missing = available_chapters()
    assignments = args.chapters or (everything[:1] if args.quick else everything)
    unknown = sorted(set(assignments) - set(everything))
    if unknown:
        raise SystemExit(f"chapters without notebooks: {', '.join(unknown)} (ready: {', '.join(everything)})")
    args.learners = args.learners or default_learners(len(assignments), args.quick)
    cores = os.cpu_count() or 1
    worker_counts = sorted({1, cores})
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks.run" + "".join(f" {shlex.quote(a)}" for a in sys.argv[1:])
    report = Report(
        command=command,
        started=dt.datetime.now().astimezone(),
        machine=machine_info(),
        options={
            "learners": args.learners,
            "repeats": args.repeats,
            "ci_repeats": args.ci_repeats,
            "quick": args.quick,
        },
        missing=missing,
        assignments=assignments,
        learners=args.learners,
        mix={},
    )
    total = LoadMeter()
    report.total = total.__enter__()

    # ------------------------------------------------------------------ 1 and 4: grading
    _say(f"class: {args.learners} learners × {len(assignments)} chapters")
    kinds = grading.build_class(work / "class", assignments, args.learners)
    report.mix = grading.class_mix(kinds)
    template = work / "stock-template"
    grading.stock_course_template(template, assignments)
    if not args.quick:  # warm-up: one learner, first chapter, each tool once (not recorded)
        _say("grading warm-up")
        grading.build_class(work / "warmup-class", assignments[:1], 1, seed=1)
        grading.run_stock(template, work / "warmup-class", work / "warmup-stock", logs / "warmup.log")
        for workers in worker_counts:
            grading.run_ours(work / "warmup-class", work / f"warmup-ours{workers}", workers, logs / "warmup.log")
    loads: dict[str, list[Load]] = {}
    for repeat in range(args.repeats):
        _say(f"grading, repeat {repeat + 1}/{args.repeats}: stock nbgrader")
        with LoadMeter() as load:
            course = work / f"stock-{repeat}"
            report.stock.append(grading.run_stock(template, work / "class", course, logs / f"stock-{repeat}.log"))
        loads.setdefault("grading:stock:1", []).append(load)
        shutil.rmtree(course, ignore_errors=True)
        for workers in worker_counts:
            _say(f"grading, repeat {repeat + 1}/{args.repeats}: autograder grade --workers {workers}")
            with LoadMeter() as load:
                out = work / f"ours-{workers}-{repeat}"
                result = grading.run_ours(work / "class", out, workers, logs / f"ours-{workers}-{repeat}.log")
                report.ours.setdefault(workers, []).append(result)
            loads.setdefault(f"grading:ours:{workers}", []).append(load)
            shutil.rmtree(out, ignore_errors=True)
    chapter = "ch05_softmax_training" if "ch05_softmax_training" in assignments else assignments[0]
    batch = 4 if args.quick else SMALL_BATCH
    _say(f"small batches: 1 and {batch} notebooks of {chapter} into a prepared output folder")
    with LoadMeter() as load:
        report.small = grading.small_batches(work / "small", chapter, batch, args.repeats, logs / "small.log")
    report.loads["grading:small"] = load
    _say("start-up of a kernel and of a sandbox")
    report.probe = grading.probe(work / "probe", logs / "probe.log", max(args.repeats, 3))
    report.sandbox_mode = report.probe.get("mode", "")
    report.loads.update({name: _merge(values) for name, values in loads.items()})

    # ------------------------------------------------------------------ 2: notebooks and CI checks
    _say("executing the source notebooks")
    with LoadMeter() as load:
        report.notebook_seconds = notebooks.execute_sources(
            assignments, args.repeats, work / "notebooks.json", logs / "notebooks.log"
        )
        report.course_seconds = Stats([sum(r) for r in zip(*(s.values for s in report.notebook_seconds.values()))])
    report.loads["notebooks"] = load
    if not args.skip_ci:
        _say("CI notebook checks")
        with LoadMeter() as load:
            report.checks = notebooks.ci_checks(assignments, args.quick, args.ci_repeats, logs)
        report.loads["ci"] = load

    # ------------------------------------------------------------------ 3: kernels
    _say("reference kernels against PyTorch")
    report.torch_missing = not kernels.torch_available()
    with LoadMeter() as load:
        steps, warmup = (20, 5) if args.quick else (60, 15)
        threads = [1] if args.quick else worker_counts  # one thread, and one per core
        report.kernels = kernels.run_kernels(threads, warmup, steps, work, logs / "kernels.log")
    report.loads["kernels"] = load
    total.__exit__(None, None, None)
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C: running subprocesses are killed and the temporary folder removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        report = run(args, args.work.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="benchmarks-") as folder:
            report = run(args, Path(folder))
    markdown = render(report)
    print(markdown)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown, encoding="utf-8")
    _say(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
