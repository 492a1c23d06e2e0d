"""Command line of the instructor's tools: ``python -m autograder <command> …``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_bundle(args: argparse.Namespace) -> int:
    from .bundle import build_learner_bundle

    result = build_learner_bundle(Path(args.out))
    print(
        f"learner bundle written to {result.out_dir}: "
        f"{len(result.modules)} modules of course, {len(result.notebooks)} notebooks"
    )
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from .build import build_all, check_drift

    if args.check:
        problems = check_drift(args.assignment or None)
        for problem in problems:
            print(f"DRIFT: {problem}")
        print("generated notebooks are up to date" if not problems else "run `python -m autograder build` and commit")
        return 1 if problems else 0
    for report in build_all(args.assignment or None):
        print(f"{report.assignment}: executed in {report.seconds:.1f} s, release generated")
    return 0


def _grade_preconditions(args: argparse.Namespace) -> str | None:
    """What stops ``grade`` before it starts (a message), or None."""
    import importlib.util

    if not Path(args.submissions).is_dir():
        return f"提出物のフォルダ {args.submissions} がありません (no such folder)。"
    if args.workers is not None and args.workers < 1:
        return "--workers は 1 以上にしてください (--workers must be at least 1)。"
    needs = []
    if args.scheduler and importlib.util.find_spec("distributed") is None:
        needs.append(("--scheduler", "distributed"))
    if args.db_url and args.db_url.startswith("postgresql") and importlib.util.find_spec("psycopg2") is None:
        needs.append(("--db-url postgresql://…", "psycopg2"))
    if needs:
        options = "、".join(option for option, _ in needs)
        missing = ", ".join(module for _, module in needs)
        return f'{options} には追加のパッケージが要ります: pip install -e ".[grading]" (missing module: {missing})。'
    return None


def _cmd_grade(args: argparse.Namespace) -> int:
    from .grade_command import print_summary, run_grade

    problem = _grade_preconditions(args)
    if problem:
        print(f"autograder grade: {problem}", file=sys.stderr)
        return 2
    run = run_grade(
        Path(args.submissions),
        Path(args.out),
        assignments=args.assignment,
        workers=args.workers,
        scheduler=args.scheduler,
        db_url=args.db_url,
        force=args.force,
    )
    print_summary(run)
    if not run.results:
        print("autograder grade: 採点できる提出物が見つかりませんでした (no submissions found)。", file=sys.stderr)
        return 1
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from course.selfcheck import main as selfcheck

    return selfcheck([str(args.notebook)])


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(Path(args.out), learners=args.learners, workers=args.workers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description="Instructor tools of the course.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    bundle = commands.add_parser(
        "bundle",
        help="build what learners receive (release notebooks + learner part of course)",
        description="Write the learner bundle: the release notebooks and the learner-side modules of "
        "`course`, without the reference solutions or anything the hidden tests use.",
    )
    bundle.add_argument("out", metavar="OUT", help="folder to write the bundle into (emptied first)")
    bundle.set_defaults(func=_cmd_bundle)
    build = commands.add_parser(
        "build",
        help="regenerate source_notebooks/ (executed) and release/ from chapters/",
        description="Build every source notebook from chapters/<id>.py, execute it to store its outputs, "
        "and generate the student version in release/ with nbgrader.",
    )
    build.add_argument("--assignment", action="append", metavar="ID", help="only this assignment (repeatable)")
    build.add_argument(
        "--check", action="store_true", help="change nothing; list generated files that differ from a fresh build"
    )
    build.set_defaults(func=_cmd_build)
    grade = commands.add_parser(
        "grade",
        help="grade a folder of submissions: grades.csv, feedback, report.html and the gradebook",
        description="Grade every submission found in SUBMISSIONS and write the results into OUT. Each notebook "
        "runs in its own sandbox; the hidden tests decide the grades outside it.",
    )
    grade.add_argument(
        "submissions",
        metavar="SUBMISSIONS",
        help="folder of submissions: nbgrader's layout <student_id>/<assignment_id>/<assignment_id>.ipynb, "
        "or a flat export from a learning-management system (<student_id>…ipynb files or one zip per student)",
    )
    grade.add_argument(
        "--out",
        required=True,
        metavar="OUT",
        help="folder for grades.csv, summary.csv, "
        "feedback/, report.html and the nbgrader course with its gradebook (created if missing)",
    )
    grade.add_argument(
        "--assignment",
        action="append",
        metavar="ID",
        help="grade only this assignment (repeat the option for several; default: all found)",
    )
    grade.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="how many notebooks to grade at the same time (default: one per CPU core)",
    )
    grade.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="grade on a Dask distributed cluster instead of this machine, e.g. tcp://host:8786",
    )
    grade.add_argument(
        "--db-url",
        metavar="URL",
        help="SQLAlchemy URL of nbgrader's gradebook (default: SQLite in OUT/course/gradebook.db), "
        "e.g. postgresql+psycopg2://user@host/dbname",
    )
    grade.add_argument(
        "--force", action="store_true", help="grade everything again, even submissions unchanged since the last run"
    )
    grade.set_defaults(func=_cmd_grade)
    check = commands.add_parser(
        "check",
        help="run the public tests of a filled-in notebook and print a Japanese summary (what learners run)",
        description="Execute NOTEBOOK offline and report, for every test cell, whether its public tests pass.",
    )
    check.add_argument("notebook", metavar="NOTEBOOK", help="a release notebook with the exercises filled in")
    check.set_defaults(func=_cmd_check)
    demo = commands.add_parser(
        "demo",
        help="the full demo on the embedded data: train, build the release, grade a synthetic class",
        description="Train the reference network on digits, rebuild the release with nbgrader, write a synthetic "
        "class (correct, partly done, blank, mangled, broken and cheating submissions) for every chapter and grade it.",
    )
    demo.add_argument("--out", default="demo_out", metavar="DIR", help="folder for everything the demo writes")
    demo.add_argument("--learners", type=int, default=30, metavar="N", help="learners in the synthetic class")
    demo.add_argument("--workers", type=int, metavar="N", help="notebooks graded at once (default: CPU cores)")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
