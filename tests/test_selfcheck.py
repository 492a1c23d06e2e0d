"""The learner's self-check says what an error means, in Japanese."""

from __future__ import annotations

import nbformat

from course.selfcheck import _error_text


def _failed(name: str, value: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("check()")
    cell.outputs = [nbformat.v4.new_output("error", ename=name, evalue=value, traceback=[])]
    return cell


def test_an_unimplemented_exercise_is_named_as_such():
    message = _error_text(_failed("NotImplementedError", ""))
    assert "まだ実装されていません" in message and "NotImplementedError" in message


def test_other_errors_keep_their_name_and_text():
    assert _error_text(_failed("AssertionError", "softmax の値が違います")) == "AssertionError: softmax の値が違います"
    assert _error_text(nbformat.v4.new_code_cell("x = 1")) == ""
