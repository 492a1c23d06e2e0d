"""The SVG charts of the class report (autograder/report_figures.py)."""

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder.report_figures import Series, histogram, nice_ticks, side_by_side, stacked_bars, text_width

SVG = "{http://www.w3.org/2000/svg}"


@given(st.integers(min_value=0, max_value=10**6))
def test_nice_ticks_are_a_few_integers_from_0_past_the_largest(largest):
    ticks = nice_ticks(largest)
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0 and ticks[-1] >= max(largest, 1) and ticks[-2] < max(largest, 1)
    assert 2 <= len(ticks) <= 7 and all(b - a == step for a, b in zip(ticks, ticks[1:]))
    assert int(str(step)[0]) in (1, 2, 5) and set(str(step)[1:]) <= {"0"}


def test_nice_ticks_examples():
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(3) == [0, 1, 2, 3]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(23) == [0, 5, 10, 15, 20, 25]


def test_text_width_counts_cjk_as_one_em_and_ascii_as_six_tenths():
    assert text_width("提出数", 10) == pytest.approx(30)
    assert text_width("abcde", 10) == pytest.approx(30)


def _inside(chart_svg: str) -> ET.Element:
    svg = ET.fromstring(chart_svg)
    width = float(svg.get("width"))
    for t in svg.iter(f"{SVG}text"):
        if t.get("transform"):
            continue  # the rotated axis label
        x, w, anchor = float(t.get("x")), text_width(t.text or "", float(t.get("font-size", 12))), t.get("text-anchor")
        start = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        assert 0 <= start and start + w <= width, f"{t.text!r} clipped: {start}..{start + w} of 0..{width}"
    return svg


@pytest.mark.parametrize(
    "name", ["t", "test_softmax_with_loss_backward", "演習_交差エントロピー誤差の逆伝播", "x" * 200]
)
def test_no_label_is_clipped_and_bars_are_proportional(name):
    series = [Series("満点 (full)", "#2da44e", [3, 0, 7]), Series("0 点 (zero)", "#cf222e", [1, 2, 0])]
    chart = stacked_bars([name, "b", "c"], series, title="タイトル (title)", x_label="提出数")
    svg = _inside(chart.svg("図"))
    bars = [(int(r.get("data-count")), float(r.get("width"))) for r in svg.iter(f"{SVG}rect") if r.get("data-count")]
    assert sorted(c for c, _ in bars) == [1, 2, 3, 7]  # zero counts draw nothing
    per_unit = {round(w / c, 6) for c, w in bars}
    assert len(per_unit) == 1
    assert svg.find(f"{SVG}title").text == "図" and svg.get("aria-label") == "図"


def test_histogram_columns_and_side_by_side():
    chart = histogram(
        [0, 2, 0, 6], [0, 25, 50, 75, 100], title="分布", x_label="得点率 (%)", y_label="人数", color="#0969da"
    )
    svg = _inside(chart.svg("分布"))
    columns = [(int(r.get("data-count")), float(r.get("height"))) for r in svg.iter(f"{SVG}rect")]
    assert [c for c, _ in columns] == [2, 6] and columns[1][1] == pytest.approx(3 * columns[0][1], rel=1e-4)
    both = side_by_side([chart, chart], gap=10)
    assert both.width == 2 * chart.width + 10 and both.height == chart.height
    with pytest.raises(ValueError):
        histogram([1, 2], [0, 100], title="", x_label="", y_label="", color="#000")
