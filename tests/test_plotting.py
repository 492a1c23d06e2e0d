"""Japanese text must render without tofu boxes (missing-glyph warnings)."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402

from course.plotting import plot_function, plot_learning_curves, use_japanese_font  # noqa: E402

JAPANESE = "損失と正解率のエポック"


@pytest.fixture(autouse=True)
def restore_rcparams():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def font_file_of(text: matplotlib.text.Text) -> str:
    return font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)


def has_glyphs(font_path: str, chars: str) -> bool:
    font = FT2Font(font_path)
    return all(font.get_char_index(ord(c)) != 0 for c in chars)


def render(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def draw_japanese_figure():
    fig, ax = plt.subplots()
    x = np.linspace(-3, 3, 50)
    ax.plot(x, x**3, label="三次関数")
    ax.set_title("損失関数のグラフ")
    ax.set_xlabel("エポック")
    ax.set_ylabel("損失")
    ax.legend()
    return fig, ax


def test_use_japanese_font_returns_family_and_is_idempotent():
    import matplotlib_fontja

    family = use_japanese_font()
    assert family == "IPAexGothic"
    n_entries = sum(e.fname == matplotlib_fontja.get_font_ttf_path() for e in font_manager.fontManager.ttflist)
    rc_before = dict(matplotlib.rcParams)
    assert use_japanese_font() == family
    assert dict(matplotlib.rcParams) == rc_before
    n_after = sum(e.fname == matplotlib_fontja.get_font_ttf_path() for e in font_manager.fontManager.ttflist)
    assert n_after == n_entries == 1
    assert matplotlib.rcParams["font.family"][0] == family


def test_japanese_figure_renders_without_missing_glyphs():
    use_japanese_font()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig, ax = draw_japanese_figure()
        png = render(fig)
    assert png.startswith(b"\x89PNG")
    # Negative tick labels were drawn, so the minus sign glyph was needed.
    tick_texts = [t.get_text() for t in ax.get_yticklabels() + ax.get_xticklabels()]
    assert any(t.startswith(("\u2212", "-")) for t in tick_texts)
    minus = "\u2212" if matplotlib.rcParams["axes.unicode_minus"] else "-"
    assert has_glyphs(font_file_of(ax.get_yticklabels()[0]), minus)
    # The fonts actually chosen for the Japanese texts contain the glyphs.
    for text in (ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_legend().get_texts()):
        assert has_glyphs(font_file_of(text), text.get_text()), text.get_text()


def test_negative_control_font_without_japanese():
    # The same checks fail with DejaVu Sans: proves that they can fail.
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        title = ax.set_title(JAPANESE)
        assert not has_glyphs(font_file_of(title), JAPANESE)
        with pytest.warns(UserWarning, match="missing from font"):
            render(fig)


def test_plot_learning_curves():
    history = {
        "train_loss": [2.3, 1.1, 0.6, 0.4],
        "test_loss": [2.3, 1.2, 0.8, 0.7],
        "train_acc": [0.1, 0.6, 0.85, 0.93],
        "test_acc": [0.1, 0.55, 0.8, 0.88],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_learning_curves(history, title="学習曲線")
        render(fig)
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_xlabel() == "エポック" and ax_loss.get_ylabel() == "損失"
    assert ax_acc.get_ylabel() == "正解率"
    assert fig.get_suptitle() == "学習曲線"
    assert [t.get_text() for t in ax_loss.get_legend().get_texts()] == ["訓練", "テスト"]
    assert np.array_equal(ax_acc.lines[1].get_ydata(), history["test_acc"])
    assert np.array_equal(ax_acc.lines[1].get_xdata(), [1, 2, 3, 4])
    (suptitle,) = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text() == "学習曲線"]
    for text in (ax_loss.xaxis.label, ax_acc.yaxis.label, suptitle):
        assert has_glyphs(font_file_of(text), text.get_text())


def test_plot_learning_curves_into_given_axes_and_bad_key():
    fig, axes = plt.subplots(1, 2)
    assert plot_learning_curves({"train_acc": [0.5, 0.7]}, ax=axes) is fig
    assert len(axes[1].lines) == 1 and len(axes[0].lines) == 0
    with pytest.raises(ValueError, match="loss"):
        plot_learning_curves({"epochs": [1, 2]})


def test_plot_function():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plot_function(np.tanh, (-5, 5), title="活性化関数", xlabel="入力", ylabel="出力", label="双曲線正接")
        render(ax.figure)
    x, y = ax.lines[0].get_data()
    assert x[0] == -5 and x[-1] == 5
    assert np.allclose(y, np.tanh(x))
    assert ax.get_title() == "活性化関数" and ax.get_xlabel() == "入力"
    assert has_glyphs(font_file_of(ax.title), "活性化関数")


def test_plot_function_requires_vectorized_f():
    with pytest.raises(ValueError, match="shape"):
        plot_function(lambda x: 1.0, (0, 1))
