"""The learner's self-check says what an error means, in Japanese."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from course.checks import ON_HOLD
from course.selfcheck import CellVerdict, _error_text, _judge, _on_hold_text, check_notebook, format_summary, main


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


def test_the_property_list_that_comes_with_the_learners_own_error_is_shown():
    cell = _failed("IndexError", "list index out of range")
    note = "性質ごとの結果:\n✓ AND の真理値表\n✗ NAND の真理値表 (上のとおり)"
    cell.outputs[0].traceback = ["\x1b[31mIndexError\x1b[39m: list index out of range", note]  # IPython's last line
    assert _error_text(cell) == f"IndexError: list index out of range\n{note}"


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


# ----------------------------------------------------------------------------- what stops a run, in Japanese


def _graded(source: str, grade_id: str, *, test: bool) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    meta = {"grade": test, "solution": not test, "grade_id": grade_id, "points": 1 if test else 0}
    cell.metadata["nbgrader"] = {**meta, "locked": test, "schema_version": 3}
    return cell


def _notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_a_failing_test_names_the_error_of_the_solution_cell_before_it():
    broken = _graded("def AND(x1, x2)\n    return 1\n", "gates", test=False)
    broken.outputs = [nbformat.v4.new_output("error", ename="SyntaxError", evalue="expected ':'", traceback=[])]
    test = _failed("NameError", "name 'AND' is not defined")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "test_gates", "points": 3}
    later = _graded("print('公開テスト: OK')", "test_later", test=True)
    [verdict, ok] = _judge(_notebook(broken, test, later), stop_index=3, stop_reason="")
    assert not verdict.passed and ok.passed and ok.message == ""
    assert verdict.message.startswith("NameError: name 'AND' is not defined\n→ その名前は定義されていません")
    assert "解答セル gates (「def AND(x1, x2)」で始まるセル) でエラーが出ています: SyntaxError" in verdict.message
    assert "構文エラー (syntax error)" in verdict.message and "先に解答セルのエラーを直して" in verdict.message
    summary = format_summary([verdict, ok])
    assert all(line.startswith("    ") for line in summary.splitlines()[1:5]), summary  # every line indented


def test_tests_after_the_cell_that_stopped_the_run_fail_with_its_reason():
    cells = [_graded("while True: pass", "loop", test=False)]
    cells += [_graded("print('公開テスト: OK')", f"test_{i}", test=True) for i in range(3)]
    verdicts = _judge(_notebook(*cells), stop_index=0, stop_reason="止まった理由")
    assert [v.passed for v in verdicts] == [False, False, False]
    assert verdicts[0].message == "このテストは実行されていません。止まった理由"
    assert (
        verdicts[1].message
        == verdicts[2].message
        == "このテストは実行されていません (test_0 のところで実行が止まったため)。"
    )


def _run_selfcheck(path: Path, *args: str, tcp: bool = False) -> subprocess.CompletedProcess:
    prelude = "import course.kernels as k; k._socket_folder = lambda: None\n" if tcp else ""
    code = prelude + "import sys; from course.selfcheck import main; raise SystemExit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, str(path), *args], capture_output=True, text=True, timeout=120)


def test_an_endless_loop_is_stopped_and_explained_in_japanese(tmp_path):
    path = tmp_path / "loop.ipynb"
    cells = [
        _graded("def f(x):\n    return x\n\nwhile True:\n    pass\n", "f", test=False),
        _graded("assert f(1) == 1\nprint('公開テスト: OK')", "test_f", test=True),
        _graded("print('公開テスト: OK')", "test_g", test=True),
    ]
    nbformat.write(_notebook(*cells), path)
    run = _run_selfcheck(path, "--timeout", "3")
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "TimeoutError" not in run.stderr + run.stdout, run.stderr
    assert "[不合格] test_f (1 点)" in run.stdout
    assert "解答セル f (「def f(x):」で始まるセル) の実行が 3 秒たっても終わらなかった" in run.stdout
    assert "--timeout 6" in run.stdout and "test_f のところで実行が止まったため" in run.stdout


def test_a_dead_kernel_is_explained_in_japanese(tmp_path):
    path = tmp_path / "exit.ipynb"
    cells = [
        _graded("import os\nos._exit(1)", "f", test=False),
        _graded("print('公開テスト: OK')", "test_f", test=True),
    ]
    nbformat.write(_notebook(*cells), path)
    verdicts = check_notebook(path, timeout=60)
    assert [v.passed for v in verdicts] == [False]
    assert "カーネル、kernel) が終了しました (Kernel died)" in verdicts[0].message


def test_a_broken_file_is_explained_in_japanese(tmp_path, capsys):
    path = tmp_path / "broken.ipynb"
    path.write_text("{", encoding="utf-8")
    assert main([str(path), "--timeout", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ノートブックとして読み込めません") and "配布されたノートブック" in err
    assert main([str(tmp_path / "missing.ipynb")]) == 2
    assert "ファイルが見つかりません" in capsys.readouterr().err


def test_no_english_kernel_warning_over_tcp_either(tmp_path):
    """Where IPC sockets are unavailable (Windows) the kernel listens on TCP and would warn, in English,
    that TCP is unencrypted; the self-check keeps that from the learner."""
    path = tmp_path / "ok.ipynb"
    nbformat.write(_notebook(_graded("print('公開テスト: OK')", "test_ok", test=True)), path)
    run = _run_selfcheck(path, tcp=True)
    assert run.returncode == 0 and "公開テスト: 1 / 1 合格" in run.stdout, run.stdout + run.stderr
    assert "WARNING" not in run.stderr and "TCP" not in run.stderr, run.stderr
