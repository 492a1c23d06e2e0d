"""The benchmark command runs and writes a complete report (``--quick``: 2 learners × 1 chapter, 1 repeat).

No timing is asserted: the numbers only have to be there, finite and positive.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SECTIONS = [
    "## Machine and versions",
    "## 1. 採点のスループット",
    "## 2. ノートブックの実行",
    "## 3. 参照実装と PyTorch",
    "## 4. 採点のピークメモリ",
    "## Method",
]


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(heading)
    end = markdown.find("\n## ", start + len(heading))
    return markdown[start : end if end >= 0 else None]


def _rows(section: str) -> list[list[str]]:
    """Body rows of the first Markdown table of ``section`` (header and rule left out)."""
    lines: list[str] = []
    for line in section.splitlines():
        if line.startswith("|"):
            lines.append(line)
        elif lines:
            break
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines[2:]]


def _number(cell: str) -> float:
    """The median of a ``median (min–max)`` cell (bold and × stripped)."""
    match = re.search(r"-?\d+(\.\d+)?", cell.replace("*", ""))
    assert match, f"no number in {cell!r}"
    return float(match.group())


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("benchmarks")
    out = folder / "RESULTS.md"
    env = {**os.environ, "COURSE_PROGRESS": "0"}
    env.pop("MPLBACKEND", None)  # the notebooks run with the kernel's inline backend, as in CI's nbval
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--out", str(out), "--work", str(folder / "work")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    markdown = out.read_text(encoding="utf-8")
    assert completed.stdout.strip() == markdown.strip()  # the table is also printed
    return markdown


def test_every_section_is_there(report):
    positions = [report.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    assert "do not edit" in report
    machine = dict(row[:2] for row in _rows(_section(report, "## Machine and versions")))
    for key in ("Cores", "CPU", "Memory", "Python", "NumPy", "PyTorch", "nbgrader", "Date"):
        assert machine.get(key), key
    assert str(os.cpu_count()) in machine["Cores"]


def test_throughput_rows_are_sane(report):
    rows = _rows(_section(report, "## 1. 採点のスループット"))
    tools = [row[0] for row in rows[:3]]
    assert "stock" in tools[0] and "--workers 1" in tools[1] and f"--workers {os.cpu_count()}" in tools[-1]
    for row in rows[: 2 if os.cpu_count() == 1 else 3]:
        per_minute, ratio, seconds = _number(row[2]), _number(row[3]), _number(row[4])
        assert per_minute > 0 and seconds > 0 and ratio > 0
        assert math.isclose(per_minute, 60 * 2 / seconds, rel_tol=0.25)  # 2 notebooks per run
        assert _number(row[5]) > 0  # seconds in cells per notebook
        assert math.isfinite(_number(row[6]))  # overhead per notebook


def test_notebook_and_ci_timings_are_positive(report):
    section = _section(report, "## 2. ノートブックの実行")
    rows = _rows(section)
    assert rows[0][0] == "ch01_activation" and _number(rows[0][1]) > 0
    assert "whole course" in rows[-1][0] and _number(rows[-1][1]) > 0
    ci = _rows(section[section.index("CI notebook checks") :])
    assert [row[0] for row in ci[:2]] == ["nbval", "tests/notebooks"]
    assert all(_number(row[2]) > 0 for row in ci[:2])
    assert all("passed" in row[3] or "failed" in row[3] for row in ci[:2])


def test_kernel_rows_have_both_implementations(report):
    rows = _rows(_section(report, "## 3. 参照実装と PyTorch"))
    assert {row[0].split()[0] for row in rows} == {"digits", "MNIST"}
    for row in rows:
        assert _number(row[2]) > 0  # reference ms per step
        if "not installed" not in report:
            assert _number(row[3]) > 0 and _number(row[4]) > 0


def test_memory_per_worker(report):
    rows = _rows(_section(report, "## 4. 採点のピークメモリ"))
    assert len(rows) >= 2
    for row in rows:
        worker, main = _number(row[2]), _number(row[3])
        assert 10 < worker < 64 * 1024 and 10 < main < 64 * 1024  # MiB


def test_small_batches_are_timed(report):
    """One late notebook into a prepared output folder, and a small batch with 1 and 2 workers."""
    section = _section(report, "## 1. 採点のスループット")
    small = section[section.index("Small batches") :]
    rows = _rows(small)
    assert rows[0][0] == "1 notebook, 1 worker"
    assert _number(rows[0][1]) > _number(rows[0][2]) > 0  # the whole command takes longer than its cells
    assert math.isfinite(_number(rows[0][3]))
    expected = ["4 notebooks, 1 worker"] + (["4 notebooks, 2 workers"] if os.cpu_count() >= 2 else [])
    assert [row[0] for row in rows[1:]] == expected
    if os.cpu_count() >= 2:
        assert re.search(r"4 notebooks with 2 workers instead of 1: \*\*\d+\.\d+", small)
