"""course.checks: every failure kind gets its own Japanese message."""

import numpy as np
import pytest

from course.checks import (
    ON_HOLD,
    CheckFailure,
    Properties,
    builds_on,
    check_array,
    check_between,
    check_scalar,
    check_true,
    core_passes,
)


def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailure) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_passes_within_tolerance():
    check_array(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-12], "f(x)")
    check_scalar(np.float32(0.5), 0.5, "g(x)")
    check_true(True, "never shown")


def test_none_and_wrong_types():
    assert "return" in _message(check_array, None, [1.0], "f(x)")
    assert "型" in _message(check_array, "abc", [1.0], "f(x)")
    assert "変換できません" in _message(check_array, [[1.0], [2.0, 3.0]], [1.0], "f(x)")


def test_shape_mismatch_and_transpose_hint():
    message = _message(check_array, np.zeros((3, 2)), np.zeros((2, 3)), "dW")
    assert "形状が違います" in message and "(2, 3)" in message and "転置" in message


def test_nan_is_reported_as_such():
    assert "nan" in _message(check_array, np.array([np.nan, 1.0]), [0.5, 1.0], "softmax(x)")


def test_value_mismatch_reports_place_and_size():
    message = _message(check_array, np.array([[1.0, 2.0], [3.0, 5.0]]), [[1.0, 2.0], [3.0, 4.0]], "y")
    assert "4 要素中 1 要素" in message and "[1, 1]" in message and "期待 4" in message


def test_scalar_mismatch_and_hidden_values():
    assert "期待 2" in _message(check_scalar, 1.5, 2.0, "loss")
    hidden = _message(check_scalar, 1.5, 2.0, "loss", show_values=False)
    assert "期待" not in hidden and "0.5" in hidden
    assert "スカラー" in _message(check_scalar, np.zeros(3), 1.0, "loss")


def test_known_mistake_hint():
    wrong = np.array([2.0, 4.0])
    message = _message(check_array, wrong, [1.0, 2.0], "loss", mistakes=[(wrong, "N で割っていますか")])
    assert "ヒント: N で割っていますか" in message


def test_check_true_message():
    assert _message(check_true, False, "理由") == "理由"


def test_check_between():
    check_between(np.float64(16.5), 13.8, 18.5, "loss")
    check_between(13.8, 13.8, 18.5, "loss")  # inclusive
    message = _message(check_between, 20.0, 13.8, 18.5, "loss", hint="eps を log の中で")
    assert "13.8 以上 18.5 以下" in message and "ヒント: eps を log の中で" in message
    assert "以下のはず" in _message(check_between, np.inf, 13.8, 18.5, "loss")
    assert "以下のはず" in _message(check_between, np.nan, 13.8, 18.5, "loss")
    assert "スカラー" in _message(check_between, np.zeros(2), 0.0, 1.0, "loss")
    assert "return" in _message(check_between, None, 0.0, 1.0, "loss")


def test_builds_on_runs_the_checks_when_the_earlier_exercises_pass(capsys):
    calls = []
    assert builds_on({"演習 1 (f)": lambda: calls.append(1), "演習 2 (g)": lambda: calls.append(2)})
    assert calls == [1, 2] and capsys.readouterr().out == ""


def test_builds_on_holds_the_checks_and_names_the_earlier_exercise(capsys):
    def failing():
        check_scalar(2.0, 1.0, "f(0)")

    def unimplemented():
        raise NotImplementedError

    assert not builds_on({"演習 1 (f)": failing})
    printed = capsys.readouterr().out
    assert printed.startswith(ON_HOLD) and "演習 1 (f)" in printed and "f(0) の値が違います" in printed
    assert not builds_on({"演習 1 (f)": lambda: None, "演習 2 (g)": unimplemented})
    printed = capsys.readouterr().out
    assert "演習 2 (g)" in printed and "まだ実装されていません" in printed and "演習 1" not in printed


def test_core_passes_holds_the_rules_until_the_core_is_right(capsys):
    assert core_passes(lambda: None) and capsys.readouterr().out == ""

    def wrong_core():
        check_scalar(2.0, 1.0, "f(0)")

    assert not core_passes(wrong_core)
    printed = capsys.readouterr().out
    assert printed.startswith(ON_HOLD) and "本体" in printed and "規則" in printed and "f(0) の値が違います" in printed


def _fails(message: str):
    def check() -> None:
        raise CheckFailure(message)

    return check


def test_properties_lists_every_property_and_leads_with_the_first_cause():
    with pytest.raises(CheckFailure) as info:
        with Properties() as properties:
            assert properties.check("形状", lambda: None)
            assert not properties.check("値", _fails("値がずれています。\n詳細"))
            properties.check("入力を書き換えない", _fails("x を書き換えています。\n詳細"))
            properties.check("勾配", lambda: None, needs=["値"])
    lines = str(info.value).splitlines()
    assert lines[:2] == ["値がずれています。", "詳細"]  # the first cause, whole
    assert lines[2:] == [
        "性質ごとの結果:",
        "✓ 形状",
        "✗ 値 (上のとおり)",
        "✗ 入力を書き換えない: x を書き換えています。",  # later causes: their first line
        "– 勾配 (「値」が合格していないため未確認)",
    ]
    assert properties.verdicts == {"形状": "pass", "値": "fail", "入力を書き換えない": "fail", "勾配": "skip"}


def test_properties_passes_silently_and_a_single_property_keeps_its_message():
    with Properties() as properties:
        properties.check("値", lambda: None)
    assert properties.passed("値")
    with pytest.raises(CheckFailure) as info:
        with Properties() as properties:
            properties.check("値", _fails("値がずれています。"))
    assert str(info.value) == "値がずれています。"


def test_properties_turns_an_unexpected_value_into_that_property_failing():
    def broken() -> None:
        raise TypeError("unsupported operand")

    with pytest.raises(CheckFailure) as info:
        with Properties() as properties:
            properties.check("値", broken)
            properties.check("形状", lambda: None)
    assert "採点できない結果" in str(info.value) and "TypeError" in str(info.value)
    assert properties.verdicts == {"値": "fail", "形状": "pass"}


def test_properties_stop_once_the_run_is_interrupted():
    restarted = []
    ran = []
    with pytest.raises(CheckFailure) as info:
        with Properties(interrupted=lambda: bool(restarted)) as properties:
            properties.check("値", lambda: (restarted.append(1), _fails("時間切れ (timeout)")()))
            properties.check("形状", lambda: ran.append("形状"))
    assert not ran and "– 形状 (採点が中断したため未確認)" in str(info.value)


def test_properties_refuse_a_name_twice_and_a_need_that_names_no_earlier_property():
    with pytest.raises(ValueError, match="twice"):
        with Properties() as properties:
            properties.check("値", lambda: None)
            properties.check("値", lambda: None)
    with pytest.raises(ValueError, match="no earlier property"):
        with Properties() as properties:
            properties.check("勾配", lambda: None, needs=["値 (typo)"])


def test_property_blocks_of_a_public_test_list_every_property():
    with pytest.raises(CheckFailure) as info:
        with Properties() as test:
            with test.property("形状"):
                check_true(True, "")
            with test.property("値"):
                check_scalar(2.0, 1.0, "f(0)")
            with test.property("入力を書き換えない", needs=["値"]):
                raise AssertionError("not counted: its need failed")
            with test.property("バッチサイズ 1"):
                check_true(False, "N=1 で形状が違います。")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("f(0) の値が違います")
    assert lines[1:] == [
        "性質ごとの結果:",
        "✓ 形状",
        "✗ 値 (上のとおり)",
        "– 入力を書き換えない (「値」が合格していないため未確認)",
        "✗ バッチサイズ 1: N=1 で形状が違います。",
    ]
    with Properties() as test:  # all hold: nothing is raised
        with test.property("値"):
            check_scalar(1.0, 1.0, "f(0)")
    assert test.verdicts == {"値": "pass"}


def test_property_blocks_raise_the_learners_own_error_again_with_the_list():
    def learner_nand(a, b):
        return [a, b][2]  # the learner's bug

    with pytest.raises(IndexError) as info:
        with Properties() as test:
            with test.property("AND の真理値表"):
                check_scalar(1, 1, "AND(1, 1)")
            with test.property("NAND の真理値表"):
                learner_nand(1, 1)
            with test.property("OR の真理値表"):
                check_scalar(0, 1, "OR(1, 1)")
    assert info.traceback[-1].name == "learner_nand"  # the traceback still ends in the learner's code
    assert info.value.__notes__ == [
        "性質ごとの結果:\n✓ AND の真理値表\n✗ NAND の真理値表 (上のとおり)\n"
        "✗ OR の真理値表: OR(1, 1) の値が違います: 1 要素中 1 要素が許容誤差 (相対 1e-07、絶対 1e-09) を超えています。"
        " 最大のずれは位置 (スカラー): 期待 1、実際 0。"
    ]


def test_property_blocks_of_an_exercise_not_started_add_no_list():
    def stub():
        raise NotImplementedError

    with pytest.raises(NotImplementedError) as info:
        with Properties() as test:
            for name in ("値", "バッチサイズ 1"):
                with test.property(name):
                    stub()
    assert not getattr(info.value, "__notes__", None)
    assert test.verdicts == {"値": "fail", "バッチサイズ 1": "fail"}
    with pytest.raises(ValueError, match="no earlier property"):
        with Properties() as test:
            with test.property("勾配", needs=["値 (typo)"]):
                pass
