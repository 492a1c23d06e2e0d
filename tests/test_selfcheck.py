"""The learner's self-check says what an error means, in Japanese."""

from __future__ import annotations

import nbformat

from course.checks import ON_HOLD
from course.selfcheck import CellVerdict, _error_text, _on_hold_text, format_summary


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


def _printed(text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("check()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return cell


def test_checks_on_hold_are_not_a_pass():
    held = _printed(f"{ON_HOLD}: 演習 1 (l2_penalty) の公開テストが通らないため…\n")
    assert _on_hold_text(held).startswith(ON_HOLD)
    assert _on_hold_text(_printed("公開テスト: OK\n")) == ""
    summary = format_summary([CellVerdict("test_elastic_net", 1.0, False, _on_hold_text(held), on_hold=True)])
    assert "[保留] test_elastic_net" in summary and "0 / 1 合格" in summary and "前の演習" in summary
