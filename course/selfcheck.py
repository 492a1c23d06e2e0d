"""Run the public tests of a filled-in notebook offline and summarise them in Japanese.

Usage (learners): ``python -m course.selfcheck release/ch01_activation/ch01_activation.ipynb``
(the instructor's ``autograder check NOTEBOOK`` does the same). Only the public tests are in
the learner's notebook; the grader also runs hidden tests with other inputs.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .checks import ON_HOLD


@dataclass
class CellVerdict:
    grade_id: str
    points: float
    passed: bool
    message: str
    on_hold: bool = False  # no error, but some checks wait for an earlier exercise (course.checks.builds_on)


def _error_text(cell: nbformat.NotebookNode) -> str:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            name, value = output.get("ename", "Error"), str(output.get("evalue", "")).strip()
            if name == "NotImplementedError" and not value:
                return (
                    "まだ実装されていません (NotImplementedError): "
                    "解答セルの raise NotImplementedError() を自分の実装に置き換えてください。"
                )
            return f"{name}: {value}".strip()
    return ""


def _on_hold_text(cell: nbformat.NotebookNode) -> str:
    """What a cell printed about its checks on hold (empty when it held none)."""
    for output in cell.get("outputs", []):
        text = output.get("text", "") if output.get("output_type") == "stream" else ""
        if ON_HOLD in text:
            return text[text.index(ON_HOLD) :].strip()
    return ""


def check_notebook(path: Path, timeout: int = 120) -> list[CellVerdict]:
    """Execute the notebook in a fresh kernel (errors do not stop it) and judge each test cell."""
    from nbclient import NotebookClient

    from .kernels import PrivateKernelManager

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        kernel_manager_class=PrivateKernelManager,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    verdicts = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade"):
            error, held = _error_text(cell), _on_hold_text(cell)
            grade_id, points = meta.get("grade_id", "?"), float(meta.get("points", 0))
            verdicts.append(
                CellVerdict(grade_id, points, not error and not held, error or held, bool(held and not error))
            )
    return verdicts


def format_summary(verdicts: list[CellVerdict]) -> str:
    lines = []
    for v in verdicts:
        mark = "合格" if v.passed else "保留" if v.on_hold else "不合格"
        lines.append(f"[{mark}] {v.grade_id} ({v.points:g} 点)" + ("" if v.passed else f"\n    {v.message}"))
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
    args = parser.parse_args(argv)
    if not args.notebook.exists():
        print(f"ファイルが見つかりません: {args.notebook}", file=sys.stderr)
        return 2
    verdicts = check_notebook(args.notebook)
    print(format_summary(verdicts))
    return 0 if verdicts and all(v.passed for v in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
