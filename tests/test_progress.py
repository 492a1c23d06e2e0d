"""Tests of course.progress."""

from __future__ import annotations

import pytest

from course.progress import ENV_VAR, progress


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_iteration_yields_all_items():
    assert list(progress(range(5), disable=True)) == [0, 1, 2, 3, 4]
    assert list(progress(["a", "b"], desc="テスト", disable=False)) == ["a", "b"]


def test_enabled_bar_writes_output(capsys):
    # Positive control for the quiet tests below.
    for _ in progress(range(3), desc="学習中", disable=False):
        pass
    captured = capsys.readouterr()
    assert "学習中" in captured.err + captured.out


def test_disabled_prints_nothing(capsys):
    with progress(total=10, desc="学習中", disable=True) as bar:
        bar.update(4)
        bar.set_postfix(loss=0.5)
        bar.update(6)
    assert list(progress(range(3), desc="学習中", disable=True)) == [0, 1, 2]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_env_var_disables_even_when_asked_to_show(monkeypatch, capsys):
    monkeypatch.setenv(ENV_VAR, "0")
    bar = progress(range(4), desc="学習中", disable=False)
    assert bar.disable
    assert list(bar) == [0, 1, 2, 3]
    with progress(total=2, disable=False) as manual:
        manual.update(2)
        manual.set_postfix(acc=0.9)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_env_var_other_value_does_not_disable(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "1")
    assert not progress(range(2), disable=False).disable


def test_manual_bar_counts(capsys):
    with progress(total=5, unit="batch", disable=False) as bar:
        bar.update(2)
        bar.update(3)
        assert bar.n == 5
        assert bar.unit == "batch"
    assert "5/5" in capsys.readouterr().err
