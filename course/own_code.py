"""Load one's own solutions from an earlier chapter's notebook (learner side).

Later chapters use parts built in earlier ones (``TwoLayerNet`` of chapter 5 in chapter 6, and so
on). Once an earlier chapter is closed, the course gives its model answers; before that, a
chapter released early loads the learner's OWN parts instead::

    from course.own_code import load_own_code

    load_own_code(["TwoLayerNet", "SoftmaxWithLoss"], "../ch05_softmax_training/ch05_softmax_training.ipynb", globals())

Only definitions are taken from the earlier notebook: imports, ``def``, ``class``, constants
(capitalised names bound without a call, such as ``NAMES = (...)`` or ``Params = dict[...]``)
and its own ``load_own_code`` calls (paths are relative to the current folder, and the chapters'
folders are siblings, so they hold from any chapter);
experiments, training runs and tests are skipped, so loading takes a moment however long the
earlier notebook runs. A definition that fails is skipped; it is reported when a name asked for
is then missing. The definitions run
together in a namespace of their own, so the loaded parts use the learner's other parts of that
chapter (``TwoLayerNet`` uses the learner's ``Affine``).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["OwnCodeError", "definitions", "load_own_code"]


class OwnCodeError(RuntimeError):
    """The earlier notebook cannot give what was asked (the message is Japanese and says what to do)."""


def _has_call(node: ast.AST) -> bool:
    return any(isinstance(inner, ast.Call) for inner in ast.walk(node))


def _is_definition(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    # an earlier notebook that itself loads parts of an even earlier one (released the same way)
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        function = node.value.func
        return isinstance(function, ast.Name) and function.id == "load_own_code"
    # constants and type aliases: capitalised names (NAMES, Params) bound without a call
    if isinstance(node, ast.Assign):
        targets = node.targets
        return all(isinstance(t, ast.Name) and t.id[:1].isupper() for t in targets) and not _has_call(node.value)
    if isinstance(node, ast.AnnAssign):
        target = node.target
        capitalised = isinstance(target, ast.Name) and target.id[:1].isupper()
        return capitalised and (node.value is None or not _has_call(node.value))
    return False


def _segments(sources: Iterable[str]) -> list[str]:
    kept = []
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        kept += [ast.get_source_segment(source, node) or "" for node in tree.body if _is_definition(node)]
    return kept


def definitions(sources: Iterable[str]) -> str:
    """The definitions of the code cells ``sources``, in order (see the module docstring).

    Cells that do not parse (unfinished work, IPython magics) are skipped whole.
    """
    return "\n\n".join(_segments(sources))


def _code_cells(notebook: Path) -> list[str]:
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        cells = nb["cells"]
        return [
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells
            if c.get("cell_type") == "code"
        ]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise OwnCodeError(
            f"ノートブック {notebook} を読み込めません ({type(error).__name__})。Jupyter で開いて保存し直してください。"
        ) from None


def load_own_code(names: Sequence[str], notebook: str | Path, namespace: dict[str, Any]) -> list[str]:
    """Define ``names`` in ``namespace`` (usually ``globals()``) from the learner's own earlier notebook.

    notebook: path of the earlier chapter's notebook, relative to the current folder (the folder
    of the notebook being run). Returns the names loaded. Raises :class:`OwnCodeError` when the
    notebook is missing or does not define one of the names; a name still left as its stub is
    loaded, and a message says it is not implemented yet.
    """
    path = Path(notebook)
    if not path.is_file():
        raise OwnCodeError(
            f"前の章のノートブック {path} が見つかりません (今いるフォルダ: {Path.cwd()})。"
            "前の章のノートブックを配布されたときのフォルダ構成のまま置くか、この呼び出しのパスを"
            "そのノートブックの場所に書き換えてください。"
        )
    own: dict[str, Any] = {"__name__": f"own_{path.stem}"}
    errors = []
    for segment in _segments(_code_cells(path)):
        try:
            exec(compile(segment, str(path), "exec"), own)  # noqa: S102 - the learner's own code, on their machine
        except Exception as error:  # noqa: BLE001 - the other definitions still load; reported if needed
            first = segment.splitlines()[0] if segment else ""
            errors.append(f"「{first[:60]}」: {type(error).__name__}: {error}")
    missing = [name for name in names if name not in own]
    if missing:
        raise OwnCodeError(
            f"{path} に {', '.join(missing)} の定義がありません。"
            "その章の解答セルを消したり、名前を変えたりしていませんか。"
            + (f" 定義の途中でエラーが出ています: {'; '.join(errors)}" if errors else "")
        )
    stubs = [name for name in names if _is_stub(own[name])]
    if stubs:
        print(
            f"注意: {', '.join(stubs)} はまだ実装されていません "
            f"({path} の解答セルが raise NotImplementedError() のままです)。"
            "前の章を先に仕上げてください。"
        )
    for name in names:
        namespace[name] = own[name]
    return list(names)


def _is_stub(obj: Any) -> bool:
    """Whether a function, or a method of a class, still just raises NotImplementedError."""
    functions = (
        [obj]
        if callable(obj) and not isinstance(obj, type)
        else list(vars(obj).values())
        if isinstance(obj, type)
        else []
    )
    for function in functions:
        code = getattr(function, "__code__", None)
        if code is not None and "NotImplementedError" in code.co_names:
            return True
    return False
