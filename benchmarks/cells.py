"""Pure cell-execution time of notebooks: the baseline the grading overhead is measured against.

``python -m benchmarks.cells --json OUT NOTEBOOK...`` imports what the notebooks import
(NumPy, Matplotlib with the Agg backend, ``course``) once, then for each notebook forks a
child of this warm process that executes the notebook's code cells in order in a fresh
namespace and reports the sum of the cells' times. Nothing else is counted: no interpreter
or kernel start-up, no module imports that a warm process already has, no conversion, no
database. An exception in a cell is caught and the next cell runs (as nbgrader's
``allow_errors``); a child that dies or runs past the time limit counts as failed.
Forking keeps one notebook's side effects (a learner monkeypatching NumPy) out of the next.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import select
import signal
import sys
import tempfile
import time
from pathlib import Path

CHILD_SECONDS = 300.0


def _warm_imports() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401

    import course.checks  # noqa: F401
    import course.data  # noqa: F401
    import course.gradcheck  # noqa: F401
    import course.hidden  # noqa: F401
    import course.plotting  # noqa: F401


def _code_cells(path: Path) -> list[str] | None:
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable notebook has no cells to run
        return None
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def _execute(cells: list[str]) -> dict:
    namespace: dict = {"__name__": "__main__"}
    times = []
    errors = 0
    sink = io.StringIO()
    for number, source in enumerate(cells):
        start = time.perf_counter()
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                exec(compile(source, f"<cell {number}>", "exec"), namespace)  # noqa: S102 - the point
        except BaseException:  # noqa: BLE001 - a failing cell is part of the notebook, like allow_errors
            errors += 1
        times.append(time.perf_counter() - start)
        sink.seek(0)
        sink.truncate()
    return {"seconds": sum(times), "cells": len(cells), "errors": errors}


def time_notebook(path: Path) -> dict:
    """Fork, execute ``path``'s code cells in the child, return its report (``ok`` False if it died)."""
    cells = _code_cells(path)
    if cells is None:
        return {"ok": False, "seconds": 0.0, "reason": "unreadable"}
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: run, report, leave without cleanup handlers of the parent
        os.close(read_fd)
        code = 0
        try:
            with tempfile.TemporaryDirectory() as folder:
                os.chdir(folder)
                report = {"ok": True, **_execute(cells)}
            os.write(write_fd, json.dumps(report).encode())
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    data = b""
    deadline = time.monotonic() + CHILD_SECONDS
    while True:
        ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            break
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            break
        data += chunk
    os.close(read_fd)
    os.waitpid(pid, 0)
    try:
        return json.loads(data)
    except ValueError:
        return {"ok": False, "seconds": 0.0, "reason": "died"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("notebooks", type=Path, nargs="*")
    args = parser.parse_args(argv)
    _warm_imports()
    if args.notebooks:  # warm-up: the first notebook once (font cache, lazily imported modules)
        time_notebook(args.notebooks[0])
    results = {str(path): [time_notebook(path) for _ in range(args.repeats)] for path in args.notebooks}
    args.json.write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
