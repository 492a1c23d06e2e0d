"""Figures with Japanese labels that render (no tofu boxes).

``use_japanese_font()`` registers IPAexGothic, which ships inside the
``matplotlib-fontja`` wheel (no system fonts needed), and makes it the
default font. The plotting helpers call it themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

__all__ = ["use_japanese_font", "plot_learning_curves", "plot_function"]

_MINUS_SIGN = 0x2212  # U+2212 MINUS SIGN, used for negative tick labels
_LEGEND_NAMES = {"train": "訓練", "test": "テスト", "val": "検証"}


def use_japanese_font() -> str:
    """Make matplotlib render Japanese text; idempotent.

    Importing ``matplotlib_fontja`` registers the bundled IPAexGothic
    (ipaexg.ttf) with matplotlib's font manager. This function then sets
    rcParams['font.family'] to [IPAexGothic, DejaVu Sans] (DejaVu Sans as
    fallback for glyphs IPAexGothic lacks) and sets
    rcParams['axes.unicode_minus'] to whether IPAexGothic has the minus
    sign U+2212 (it does in the shipped version; if not, tick labels use
    the ASCII hyphen instead of a tofu box).

    Returns:
    - the font family name, "IPAexGothic"
    """
    import matplotlib_fontja  # noqa: PLC0415  (registers the font on import)

    font_path = matplotlib_fontja.get_font_ttf_path()
    registered = {entry.fname for entry in font_manager.fontManager.ttflist}
    if font_path not in registered:
        font_manager.fontManager.addfont(font_path)
    font = FT2Font(font_path)
    family = font.family_name
    matplotlib.rcParams["font.family"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = font.get_char_index(_MINUS_SIGN) != 0
    return family


def _legend_name(key: str) -> str:
    prefix = key.split("_", 1)[0]
    return _LEGEND_NAMES.get(prefix, key)


def plot_learning_curves(
    history: dict[str, Sequence[float]],
    *,
    title: str = "学習曲線",
    ax: Sequence[Axes] | None = None,
) -> Figure:
    """Plot loss and accuracy per epoch on two panels.

    Inputs:
    - history: {name: values}, one value per epoch (x axis 1..len). Keys
      ending in "loss" (e.g. 'train_loss', 'test_loss') go to the left panel
      '損失', keys ending in "acc" (e.g. 'train_acc', 'test_acc') to the right
      panel '正解率'. The prefixes train/test/val are shown as 訓練/テスト/検証.
    - title: title of the figure
    - ax: two Axes (loss, accuracy) to draw into; if None, a new pyplot
      figure (shown inline in Jupyter)

    Returns:
    - the Figure
    """
    use_japanese_font()
    panels = {"loss": "損失", "acc": "正解率"}
    groups: dict[str, list[str]] = {kind: [] for kind in panels}
    for key in history:
        kind = next((k for k in panels if key.endswith(k)), None)
        if kind is None:
            raise ValueError(
                f"history のキー {key!r} は 'loss' か 'acc' で終わる必要があります (例: 'train_loss', 'test_acc')"
            )
        groups[kind].append(key)

    if ax is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    else:
        if len(ax) != 2:
            raise ValueError("ax には (損失用, 正解率用) の 2 つの Axes を渡してください")
        axes = ax
        fig = axes[0].figure

    for (kind, ylabel), axis in zip(panels.items(), axes):
        for key in groups[kind]:
            values = np.asarray(history[key], dtype=np.float64)
            axis.plot(np.arange(1, len(values) + 1), values, marker="o", label=_legend_name(key))
        axis.set_xlabel("エポック")
        axis.set_ylabel(ylabel)
        axis.grid(True, alpha=0.3)
        if groups[kind]:
            axis.legend()
    fig.suptitle(title)
    return fig


def plot_function(
    f: Callable[[np.ndarray], np.ndarray],
    x_range: tuple[float, float],
    *,
    title: str = "",
    xlabel: str = "x",
    ylabel: str = "f(x)",
    ax: Axes | None = None,
    label: str | None = None,
    num: int = 500,
) -> Axes:
    """Plot y = f(x) on an interval.

    Inputs:
    - f: vectorized function, array of shape (num,) -> array of shape (num,)
    - x_range: (start, stop) of the x axis
    - title, xlabel, ylabel: texts (Japanese is fine)
    - ax: Axes to draw into; if None, a new pyplot figure
    - label: legend entry of the curve; a legend is drawn if given
    - num: number of sample points

    Returns:
    - the Axes
    """
    use_japanese_font()
    x = np.linspace(x_range[0], x_range[1], num)
    y = np.asarray(f(x), dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError(
            f"f は shape {x.shape} の配列を受け取り同じ shape の配列を返す必要があります (返り値の shape {y.shape})"
        )
    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    ax.plot(x, y, label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if label is not None:
        ax.legend()
    return ax
