"""Run the public tests of a filled-in notebook offline and summarise them in Japanese.

Usage (learners): ``python -m course.selfcheck release/ch01_activation/ch01_activation.ipynb``
(the instructor's ``autograder check NOTEBOOK`` does the same), ``--timeout SECONDS`` per cell.
Only the public tests are in the learner's notebook; the grader also runs hidden tests with other
inputs. What stops the run (a cell past its time, a dead kernel, an unreadable file) is reported in
Japanese instead of nbclient's English traceback.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .checks import ON_HOLD, PROPERTY_LIST_HEADING


@dataclass
class CellVerdict:
    grade_id: str
    points: float
    passed: bool
    message: str
    on_hold: bool = False  # no error, but some checks wait for an earlier exercise (course.checks.builds_on)


#: Japanese explanations of Python errors whose English text alone does not say what to do.
_EXPLANATIONS = {
    "SyntaxError": "構文エラー (syntax error): Python として読めない行があります。"
    "表示された行の付近のかっこ・コロン・引用符を確かめてください。",
    "IndentationError": "字下げ (indentation) のエラー: 行頭の空白の数がそろっていません。",
    "TabError": "字下げにタブと空白が混ざっています。空白だけにしてください。",
    "NameError": "その名前は定義されていません: 定義するセルを上から順に実行したか、"
    "そのセルでエラーが出ていないか確かめてください。",
}


def _property_list(output: nbformat.NotebookNode) -> str:
    """The list of a public test cell's properties that came with the learner's own error (a note at the
    end of the traceback, course.checks.Properties), or ''."""
    notes = re.sub(r"\x1b\[[0-9;]*m", "", str((output.get("traceback") or [""])[-1]))
    return notes[notes.index(PROPERTY_LIST_HEADING) :].strip() if PROPERTY_LIST_HEADING in notes else ""


def _error_text(cell: nbformat.NotebookNode) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            name, value = output.get("ename", "Error"), str(output.get("evalue", "")).strip()
            properties = "" if PROPERTY_LIST_HEADING in value else _property_list(output)
            if name == "NotImplementedError" and not value:
                text = (
                    "まだ実装されていません (NotImplementedError): "
                    "解答セルの raise NotImplementedError() を自分の実装に置き換えてください。"
                )
            else:
                text = f"{name}: {value}".strip()
                text = f"{text}\n→ {_EXPLANATIONS[name]}" if name in _EXPLANATIONS else text
            return f"{text}\n{properties}" if properties else text
    return ""


def _cell_label(cell: nbformat.NotebookNode) -> str:
    """How a learner finds a cell: its exercise name (解答セル) and its first line."""
    lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    first = f"「{first[:60]}{'…' if len(first) > 60 else ''}」で始まるセル" if first else "空のセル"
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return f"解答セル {meta['grade_id']} ({first})" if meta.get("solution") and meta.get("grade_id") else first


def _timeout_text(timeout: int, cell: nbformat.NotebookNode) -> str:
    return (
        f"{_cell_label(cell)} の実行が {timeout} 秒たっても終わらなかったので止めました (タイムアウト、timeout)。"
        "終わらないループ (while の条件、ループの中で変数を更新し忘れ) や重すぎる計算がないか確かめてください。"
        f"計算に時間がかかるだけなら、--timeout {timeout * 2} のように秒数を延ばせます。"
    )


def _dead_kernel_text(cell: nbformat.NotebookNode) -> str:
    return (
        f"{_cell_label(cell)} の実行中に Python のプロセス (カーネル、kernel) が終了しました (Kernel died)。"
        "メモリを使いすぎる計算 (大きすぎる配列) や、os._exit のようにプロセスを終わらせるコードが"
        "ないか確かめてください。"
    )


def _unreadable_text(path: Path, error: Exception) -> str:
    return (
        f"ノートブックとして読み込めません: {path}\n"
        "ファイルが壊れているか、ノートブック (.ipynb) ではありません。Jupyter で開けるなら保存し直し、"
        "開けないなら配布されたノートブックに解答を写し直してください。"
        f"({type(error).__name__}: {str(error)[:200]})"
    )


def _on_hold_text(cell: nbformat.NotebookNode) -> str:
    """What a cell printed about its checks on hold (empty when it held none)."""
    for output in cell.get("outputs", []):
        text = output.get("text", "") if output.get("output_type") == "stream" else ""
        if ON_HOLD in text:
            return text[text.index(ON_HOLD) :].strip()
    return ""


def check_notebook(path: Path, timeout: int = 120) -> list[CellVerdict]:
    """Execute the notebook in a fresh kernel (errors do not stop it) and judge each test cell.

    ``timeout``: seconds per cell. A cell past its time or a dead kernel stops the run; that cell's
    test (if it is one) and every later test fail with a Japanese reason. A failing test also names
    an error raised by a solution cell since the previous test (often the real cause).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from .kernels import PrivateKernelManager

    nb = nbformat.read(path, as_version=4)
    started: list[int] = []
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        kernel_manager_class=PrivateKernelManager,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_start=lambda cell, cell_index: started.append(cell_index),
    )
    stop_index, stop_reason = len(nb.cells), ""
    try:
        # The kernel process's own stderr is its log, in English: that TCP is unencrypted where IPC is
        # unavailable (Windows), a traceback when it is shut down in the middle of a cell (timeout).
        # What the learner's code prints reaches the cell outputs over the kernel's sockets instead.
        client.execute(stderr=subprocess.DEVNULL)
    except CellTimeoutError:
        stop_index = started[-1] if started else 0
        stop_reason = _timeout_text(timeout, nb.cells[stop_index])
    except DeadKernelError:
        stop_index = started[-1] if started else 0
        stop_reason = _dead_kernel_text(nb.cells[stop_index])
    return _judge(nb, stop_index, stop_reason)


def _judge(nb: nbformat.NotebookNode, stop_index: int, stop_reason: str) -> list[CellVerdict]:
    """Verdicts of the test cells of an executed notebook whose run stopped at ``stop_index``."""
    verdicts = []
    solution_errors: list[str] = []  # errors of solution cells since the previous test cell
    first_unrun: str | None = None  # the first test the stop kept from running: it carries the reason
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if not meta.get("grade"):
            if meta.get("solution") and index < stop_index and (error := _error_text(cell)):
                solution_errors.append(f"{_cell_label(cell)} でエラーが出ています: {error}")
            continue
        grade_id, points = meta.get("grade_id", "?"), float(meta.get("points", 0))
        if index >= stop_index:
            if first_unrun is None:
                first_unrun = grade_id
                reason = stop_reason if index == stop_index else f"このテストは実行されていません。{stop_reason}"
            else:
                reason = f"このテストは実行されていません ({first_unrun} のところで実行が止まったため)。"
            verdicts.append(CellVerdict(grade_id, points, False, reason))
            continue
        error, held = _error_text(cell), _on_hold_text(cell)
        if error and solution_errors:
            error = "\n".join([error, *solution_errors, "→ 先に解答セルのエラーを直してください。"])
        verdicts.append(CellVerdict(grade_id, points, not error and not held, error or held, bool(held and not error)))
        solution_errors = []
    return verdicts


def format_summary(verdicts: list[CellVerdict]) -> str:
    lines = []
    for v in verdicts:
        mark = "合格" if v.passed else "保留" if v.on_hold else "不合格"
        message = "" if v.passed else "\n" + textwrap.indent(v.message, "    ")
        lines.append(f"[{mark}] {v.grade_id} ({v.points:g} 点){message}")
    passed = sum(v.points for v in verdicts if v.passed)
    total = sum(v.points for v in verdicts)
    lines.append(
        f"\n公開テスト: {sum(v.passed for v in verdicts)} / {len(verdicts)} 合格 ({passed:g} / {total:g} 点相当)"
    )
    if any(v.on_hold for v in verdicts):
        lines.append("※ 保留のセルは、前の演習が合格してから確認されます (前の演習を先に直してください)。")
    lines.append("※ 採点では別の入力を使う隠しテストも実行されます。")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course.selfcheck", description="公開テストを実行して結果を表示します。"
    )
    parser.add_argument("notebook", type=Path, help="実装を書き込んだノートブック (.ipynb)")
    parser.add_argument(
        "--timeout", type=int, default=120, metavar="秒", help="1 つのセルに使える時間 (秒)。既定は 120 秒"
    )
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        print(f"ファイルが見つかりません: {args.notebook}", file=sys.stderr)
        return 2
    try:
        nbformat.read(args.notebook, as_version=4)
    except Exception as error:  # nbformat raises ValueError, ValidationError, TypeError… on a broken file
        print(_unreadable_text(args.notebook, error), file=sys.stderr)
        return 2
    try:
        verdicts = check_notebook(args.notebook, timeout=args.timeout)
    except KeyboardInterrupt:
        print("中断しました (Ctrl+C)。", file=sys.stderr)
        return 130
    print(format_summary(verdicts))
    return 0 if verdicts and all(v.passed for v in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
