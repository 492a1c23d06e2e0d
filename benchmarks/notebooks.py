"""Part 2: executing the source notebooks end to end, and the CI's notebook checks.

Each source notebook is executed as ``autograder.build.execute_notebook`` does when the
notebooks are built (a fresh kernel per notebook, kernel start-up included), in a subprocess
of its own. The CI checks are the two notebook commands of ``.ci/run``: the nbval comparison
of the stored outputs (verbatim) and the notebook tests of the unit suite (``tests/notebooks``,
with the suite's ``-n 2``).
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .common import PYTHON, REPO_ROOT, Stats, read_json, run_measured, subprocess_env, write_json


def execute_sources(assignments: list[str], repeats: int, json_path: Path, log: Path) -> dict[str, Stats]:
    """Seconds to execute each source notebook end to end: one warm-up, then ``repeats`` rounds."""
    argv = [PYTHON, "-m", "benchmarks.notebooks", "--json", str(json_path), "--repeats", str(repeats), *assignments]
    measured = run_measured(argv, env=subprocess_env(), cwd=REPO_ROOT, log=log)
    if measured.returncode != 0:
        raise RuntimeError(f"notebook execution failed (exit {measured.returncode}); see {log}")
    data = read_json(json_path)
    return {assignment: Stats(values) for assignment, values in data.items()}


@dataclass
class CheckRun:
    """Repeated runs of one CI command."""

    name: str
    command: str
    seconds: Stats = field(default_factory=lambda: Stats([]))
    outcome: str = ""  # pytest's summary line of the last run


def ci_commands(assignments: list[str], quick: bool) -> list[tuple[str, list[str], dict[str, str]]]:
    """(name, argv, extra env) of the CI notebook checks, as in ``.ci/run``.

    The quick mode (smoke test) runs nbval on ``assignments`` only, and of the notebook tests
    only their execution test, without pytest-xdist."""
    nbval = [PYTHON, "-m", "pytest", "--nbval"]
    nbval += [f"source_notebooks/{a}" for a in assignments] if quick else ["source_notebooks"]
    nbval += ["--nbval-current-env", "--nbval-sanitize-with", ".ci/nbval_sanitize.cfg", "-q", "-p", "no:cacheprovider"]
    tests = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    if quick:
        tests += ["tests/notebooks/test_execution.py", "-k", " or ".join(assignments)]
    else:
        tests += ["-n", "2", "tests/notebooks"]
    return [("nbval", nbval, {}), ("tests/notebooks", tests, {"MPLBACKEND": "Agg"})]


_SUMMARY = re.compile(r"^=*\s*(\d+ (passed|failed|error|errors|skipped|deselected).*?)\s*=*$")


def _summary(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    for line in reversed(lines):
        match = _SUMMARY.match(line.strip())
        if match:
            return re.sub(r" in [\d.]+s.*$", "", match.group(1))
    return "(no pytest summary)"


def ci_checks(assignments: list[str], quick: bool, repeats: int, logs: Path) -> list[CheckRun]:
    """Time each CI notebook command ``repeats`` times (part 2's executions were the warm-up)."""
    runs = []
    for name, argv, extra in ci_commands(assignments, quick):
        run = CheckRun(name, " ".join(["python", *argv[1:]]))
        values = []
        for number in range(repeats):
            log = logs / f"ci-{name.replace('/', '_')}-{number}.log"
            log.unlink(missing_ok=True)
            measured = run_measured(argv, env=subprocess_env(**extra), cwd=REPO_ROOT, log=log)
            values.append(measured.seconds)
            run.outcome = _summary(log)
        run.seconds = Stats(values)
        runs.append(run)
    return runs


def main(argv: list[str] | None = None) -> int:
    import nbformat

    from autograder.build import execute_notebook

    parser = argparse.ArgumentParser(description="execute source notebooks (used by benchmarks.run)")
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("assignments", nargs="+")
    args = parser.parse_args(argv)
    notebooks = {}
    for assignment in args.assignments:
        folder = REPO_ROOT / "source_notebooks" / assignment
        notebooks[assignment] = (nbformat.read(folder / f"{assignment}.ipynb", as_version=4), folder)
    times: dict[str, list[float]] = {a: [] for a in args.assignments}
    for round_number in range(args.repeats + 1):  # round 0 is the warm-up
        for assignment, (nb, folder) in notebooks.items():
            start = time.perf_counter()
            execute_notebook(copy.deepcopy(nb), folder)
            if round_number:
                times[assignment].append(time.perf_counter() - start)
    write_json(args.json, times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
