"""Stepped hints for the exercises, shown on demand: ``hint("softmax")``, then ``hint("softmax", 2)``.

Each exercise (each name after ``# @reference`` in the chapter sources: a function, a class
or a method such as ``"Affine.backward"``) has 2 or 3 hints in Japanese, from the idea to the
approach; none holds a line of the solution (``tests/test_hints.py`` checks this against the
reference solutions). The texts live in one module per chapter (``course/hints/chNN_*.py``,
a ``HINTS`` dict: name → tuple of steps).

In a notebook the hint is shown as output with ``{"course": {"hint": name, "step": k}}`` in its
metadata, so it stays in the saved notebook; the chapters tell learners that the instructor's
class report counts which hints were used.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from functools import cache

__all__ = ["hint", "hint_names", "hints_of"]


@cache
def _all_hints() -> dict[str, tuple[str, ...]]:
    """name → steps, over every chapter module of this package."""
    found: dict[str, tuple[str, ...]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for name, steps in getattr(module, "HINTS", {}).items():
            if name in found:
                raise ValueError(f"hints for {name!r} are given twice (second in {module.__name__})")
            found[name] = tuple(steps)
    return found


def hint_names() -> list[str]:
    """Every name that has hints, sorted."""
    return sorted(_all_hints())


def hints_of(name: str) -> tuple[str, ...]:
    """The steps for ``name`` (KeyError when it has none)."""
    return _all_hints()[name]


def _show(text: str, metadata: dict | None = None) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: no notebook to record in
        print(text)
        return
    if get_ipython() is None:
        print(text)
    else:
        display({"text/plain": text}, raw=True, metadata=metadata or {})


def _unknown(name: str) -> str:
    names = hint_names()
    methods = [n for n in names if n.startswith(f"{name}.")]
    if methods:
        calls = "、".join(f'hint("{n}")' for n in methods)
        return f"{name} のヒントはメソッドごとにあります: {calls}"
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    suggestion = f" もしかして: {'、'.join(repr(n) for n in close)}" if close else ""
    return (
        f"{name!r} のヒントはありません。演習の関数名かクラス名 (メソッドは 'Affine.backward' の形) を"
        f"渡してください。{suggestion}"
    )


def hint(name: str, step: int = 1) -> None:
    """Show hint number ``step`` (1, 2, …) for the exercise ``name``, e.g. ``hint("softmax")``.

    name: the function or class of the exercise, or ``"Class.method"`` for a method.
    step: which hint; later hints come closer to the approach (never the solution itself).
    """
    if not isinstance(name, str) or name not in _all_hints():
        _show(_unknown(str(name)))
        return
    steps = hints_of(name)
    if not isinstance(step, int) or isinstance(step, bool) or step < 1:
        _show(f"step には 1 から {len(steps)} までの整数を渡してください (例: hint({name!r}, 2))。")
        return
    if step > len(steps):
        _show(f"{name} のヒントは {len(steps)} 段階までです。最後のヒントをもう一度表示します。")
        step = len(steps)
    text = f"ヒント {step}/{len(steps)} ({name}): {steps[step - 1]}"
    if step < len(steps):
        text += f'\n次のヒント: hint("{name}", {step + 1})'
    _show(text, {"course": {"hint": name, "step": step}})
