"""Command line of the instructor's tools: ``python -m autograder <command> …``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .quick_exit import skip_final_collection


def _cmd_bundle(args: argparse.Namespace) -> int:
    from .bundle import build_learner_bundle

    result = build_learner_bundle(Path(args.out))
    print(
        f"learner bundle written to {result.out_dir}: "
        f"{len(result.modules)} modules of course, {len(result.notebooks)} notebooks"
    )
    return 0


def _deadline_time(text: str | None):
    """``--now``: the time at which deadlines are judged (timezone-aware), None for the current time."""
    import datetime as dt

    now = dt.datetime.fromisoformat(text) if text else None
    if now is not None and now.tzinfo is None:
        raise ValueError("--now needs a UTC offset, e.g. 2027-01-16T00:00:00+09:00")
    return now


def _add_term_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--term", default="term.toml", metavar="FILE", help="the term file with [deadlines] (default: term.toml)"
    )
    parser.add_argument("--now", metavar="DATETIME", help="decide deadlines as at this time (ISO 8601 with offset)")


def _cmd_release(args: argparse.Namespace) -> int:
    from .answer_leaks import TermError
    from .release import ReleaseRefused, release_chapters

    try:
        now = _deadline_time(args.now)
        result = release_chapters(args.chapters, Path(args.out), term=Path(args.term), now=now, own_code=args.own_code)
    except (ReleaseRefused, TermError, ValueError) as error:
        print(f"autograder release: {error}", file=sys.stderr)
        return 2
    print(f"{result.out_dir} に書き出しました: ノートブック {len(result.notebooks)} 冊 ({', '.join(args.chapters)})")
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
    from .nbgrader_course import CourseError, check_course, place_feedback

    problem = _grade_preconditions(args)
    try:
        if not problem and args.course:
            check_course(Path(args.course))
    except CourseError as error:
        problem = str(error)
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
        course_dir=Path(args.course) if args.course else None,
    )
    print_summary(run)
    if args.course:
        placed = place_feedback(Path(args.course), Path(args.out), run.results, run.discovery.submissions)
        print(
            f"nbgrader release_feedback 用のフィードバック {len(placed.placed)} 件を "
            f"{Path(args.course) / 'feedback'} に置きました。"
        )
        for reason in placed.skipped:
            print(f"  置かなかったもの: {reason}")
    if not run.results:
        print("autograder grade: 採点できる提出物が見つかりませんでした (no submissions found)。", file=sys.stderr)
        return 1
    if run.gradebook_error:  # the reports are written, but the written answers could not be read back
        print("autograder grade: 成績簿を更新・読み込みできませんでした (上の説明を見てください)。", file=sys.stderr)
        return 3
    return 0


def _cmd_course(args: argparse.Namespace) -> int:
    from .answer_leaks import TermError
    from .nbgrader_course import CourseError, prepare_course

    try:
        now = _deadline_time(args.now)
        course = prepare_course(Path(args.course), args.chapters, term=Path(args.term), now=now)
    except (CourseError, TermError, ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"autograder course: {error}", file=sys.stderr)
        return 2
    print(
        f"{course}: nbgrader のコース ({', '.join(args.chapters)})。ここで nbgrader release_assignment を実行できます。"
    )
    return 0


def _pairs(pairs: list[tuple[str, str]], limit: int = 10) -> str:
    shown = ", ".join(f"{student!r}/{assignment}" for student, assignment in pairs[:limit])
    return shown + (f" ほか {len(pairs) - limit} 件" if len(pairs) > limit else "")


def _cmd_export(args: argparse.Namespace) -> int:
    from .lms_export import ExportError, export_grades

    try:
        result = export_grades(
            Path(args.out),
            args.format,
            ids=Path(args.ids) if args.ids else None,
            to=Path(args.to) if args.to else None,
            include_provisional=args.include_provisional,
            skip_unmapped=args.skip_unmapped,
        )
    except ExportError as error:
        print(f"autograder export: {error}", file=sys.stderr)
        return 2
    table = result.table
    print(f"{result.path}: {args.format} 形式、学生 {len(table.students)} 人 × 課題 {len(table.assignments)} 個")
    if table.missing:
        print(f"未提出 {len(table.missing)} 件は空欄です (点なし): {_pairs(table.missing)}")
    if table.blanked:
        print(
            f"注意: 記述の採点待ちがある {len(table.blanked)} 件は空欄にしました: {_pairs(table.blanked)}。"
            "記述の点が summary.csv に入ってから書き出し直すか、"
            "--include-provisional でそれまでの点を書き出してください。",
            file=sys.stderr,
        )
    elif table.provisional:
        where = "列 <課題>_status が provisional" if args.format == "wide" else "記述の点は採点済みの分だけ"
        print(
            f"注意: 暫定の点 (記述の採点待ちあり) が {len(table.provisional)} 件あります ({where}): "
            f"{_pairs(table.provisional)}",
            file=sys.stderr,
        )
    if table.skipped:
        skipped = ", ".join(repr(student) for student in table.skipped)
        print(f"注意: 対応表にない {len(table.skipped)} 人を除きました: {skipped}", file=sys.stderr)
    if table.roster_only:
        print(f"対応表にあって提出のない {len(table.roster_only)} 人は、全課題が未提出の行です。")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from course.selfcheck import main as selfcheck

    return selfcheck([str(args.notebook), "--timeout", str(args.timeout)])


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
    release = commands.add_parser(
        "release",
        help="the learner bundle of some chapters, refused while it would give away answers of open chapters",
        description="Write the learner bundle of the chapters named. A chapter's [given] cells hold model answers "
        "of earlier chapters; the release is refused (nothing written) unless every such chapter is closed, "
        "i.e. its deadline in the term file has passed.",
    )
    release.add_argument("chapters", nargs="+", metavar="ID", help="chapter ids, e.g. ch01_activation")
    release.add_argument("--out", required=True, metavar="DIR", help="folder to write the bundle into (emptied first)")
    _add_term_options(release)
    release.add_argument(
        "--own-code",
        action="store_true",
        help="instead of refusing, replace the answers of open chapters in the given cells by calls that load "
        "the learner's own solutions from the earlier chapters' notebooks (course.own_code)",
    )
    release.set_defaults(func=_cmd_release)
    course = commands.add_parser(
        "course",
        help="make COURSE the nbgrader course of some chapters, for nbgrader's exchange (release_assignment, collect)",
        description="Copy the chapters' source notebooks into COURSE, write its nbgrader_config.py and run nbgrader "
        "generate_assignment (release/ and the gradebook). Refused while a release notebook would give away answers "
        "of chapters whose deadline in the term file has not passed.",
    )
    course.add_argument("course", metavar="COURSE", help="the course directory (created if missing)")
    course.add_argument("chapters", nargs="+", metavar="ID", help="chapter ids, e.g. ch01_activation")
    _add_term_options(course)
    course.set_defaults(func=_cmd_course)
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
        "--course",
        metavar="COURSE",
        help="the nbgrader course whose exchange collected SUBMISSIONS (usually COURSE/submitted): record the grades "
        "in its gradebook instead of OUT/course, and put each feedback page into COURSE/feedback/ with the "
        "submission's secret, for `nbgrader release_feedback`",
    )
    grade.add_argument(
        "--force", action="store_true", help="grade everything again, even submissions unchanged since the last run"
    )
    grade.set_defaults(func=_cmd_grade)
    export = commands.add_parser(
        "export",
        help="write OUT/summary.csv as a grade file for Moodle, Canvas or a spreadsheet (wide)",
        description="Turn the summary.csv of a grading run into a file that Moodle's or Canvas's gradebook "
        "imports as it is, or into one row per learner (wide). Written answers count once graded; "
        "missing submissions are empty cells.",
    )
    export.add_argument("out", metavar="OUT", help="the output folder of `autograder grade` (holds summary.csv)")
    export.add_argument(
        "--format",
        required=True,
        choices=("moodle", "canvas", "wide"),
        help="moodle: Moodle gradebook CSV import; canvas: Canvas gradebook import (with the Points Possible row); "
        "wide: one row per learner with a status column per assignment",
    )
    export.add_argument(
        "--ids",
        metavar="MAPPING.csv",
        help="CSV with student_id (the id used for grading) and the learner's LMS identifiers: email, username, "
        "idnumber, name, canvas_id, sis_user_id, sis_login_id, section",
    )
    export.add_argument("--to", metavar="FILE", help="file to write (default: OUT/lms_<format>.csv)")
    export.add_argument(
        "--include-provisional",
        action="store_true",
        help="moodle/canvas: write the points so far where written answers still await grading "
        "(default: leave those cells empty)",
    )
    export.add_argument(
        "--skip-unmapped",
        action="store_true",
        help="leave out (and list) graded learners missing from the --ids file instead of stopping",
    )
    export.set_defaults(func=_cmd_export)
    check = commands.add_parser(
        "check",
        help="run the public tests of a filled-in notebook and print a Japanese summary (what learners run)",
        description="Execute NOTEBOOK offline and report, for every test cell, whether its public tests pass.",
    )
    check.add_argument("notebook", metavar="NOTEBOOK", help="a release notebook with the exercises filled in")
    check.add_argument("--timeout", type=int, default=120, metavar="SECONDS", help="per cell (default: 120)")
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


def command() -> int:
    """The ``autograder`` command and ``python -m autograder``: :func:`main`, then a quick exit."""
    code = main()
    skip_final_collection()
    return code
