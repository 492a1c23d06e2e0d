"""Hint use: recorded by ``course.hints.hint`` in the notebook, counted by the grader, shown in the class report."""

from __future__ import annotations

import nbformat

from autograder.build import execute_notebook
from autograder.hint_use import hints_used
from autograder.model import SubmissionResult
from autograder.reports import write_report


def _output(metadata) -> dict:
    return {"output_type": "display_data", "data": {"text/plain": "…"}, "metadata": metadata}


def test_a_kernel_records_the_hints_shown_and_the_grader_reads_them(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell('from course.hints import hint\nhint("softmax")'),
        nbformat.v4.new_code_cell('hint("softmax", 2)\nhint("relu")\nhint("no_such_exercise")'),
    ]
    execute_notebook(nb, tmp_path)
    saved = tmp_path / "saved.ipynb"
    nbformat.write(nb, saved)  # what the learner's Jupyter saves and submits
    assert hints_used(nbformat.read(saved, as_version=4), {"softmax", "relu", "sigmoid"}) == {"relu": 1, "softmax": 2}


def test_only_the_courses_names_and_small_whole_steps_count():
    cells = [
        {"outputs": [_output({"course": {"hint": "softmax", "step": k}}) for k in (3, 1)]},
        {"outputs": [_output({"course": {"hint": "rm -rf /", "step": 1}})]},  # not a hint of the course
        {"outputs": [_output({"course": {"hint": "relu", "step": True}})]},
        {"outputs": [_output({"course": {"hint": "relu", "step": "2"}})]},
        {"outputs": [_output({"course": {"hint": "relu", "step": 10**9}})]},
        {"outputs": [_output({"course": ["relu", 1]})]},
        {"outputs": [_output({"course": {"hint": ["relu"], "step": 1}})]},  # unhashable: no TypeError
        {"outputs": [_output(None), {"output_type": "stream"}, "text"]},
        {"outputs": "not a list"},
        "not a cell",
    ]
    assert hints_used({"cells": cells}, {"softmax", "relu"}) == {"softmax": 3}
    assert hints_used({"cells": "nope"}, {"softmax"}) == {}


def test_the_class_report_counts_hints_per_exercise(tmp_path):
    results = [
        SubmissionResult("alice", "ch01_activation", "a", "1", hints={"softmax": 2, "relu": 1}),
        SubmissionResult("bob", "ch01_activation", "b", "2", hints={"softmax": 3}),
        SubmissionResult("carol", "ch01_activation", "c", "3"),
    ]
    page = write_report(results, {}, "", tmp_path / "report.html", "").read_text(encoding="utf-8")
    section = page.split("使われたヒント (hints used)")[1].split("<h2>")[0]
    rows = [row for row in section.split("<tr>")[1:] if "<td" in row]
    cells = [[c.split("</td>")[0] for c in row.split("<td")[1:]] for row in rows]
    assert [c[0].endswith("<code>softmax</code>") for c in cells] == [True, False]  # most used first
    assert [x.split(">")[-1] for x in cells[0][1:]] == ["2", "2", "1", "2 / 3"]
    assert [x.split(">")[-1] for x in cells[1][1:]] == ["1", "0", "0", "1 / 3"]


def test_a_report_without_hints_says_so(tmp_path):
    results = [SubmissionResult("alice", "ch01_activation", "a", "1")]
    page = write_report(results, {}, "", tmp_path / "report.html", "").read_text(encoding="utf-8")
    assert "記録されたヒントの利用はありません" in page
    assert SubmissionResult.from_json({**results[0].to_json()}).hints == {}
