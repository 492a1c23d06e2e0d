"""The trusted side answers the sandbox from a closed vocabulary only (autograder.callbacks).

A hostile learner controls every byte the sandbox sends. These tests send what such a
learner could: the requests that once gave code execution as root (``new`` of a substituted
function, then ``method: tofile`` on the ndarray it returned), arrays whose broadcast would
exhaust the trusted process, floods of calls, and random and adversarial messages generated
by Hypothesis; and they prove that nothing outside the vocabulary is ever called: no
vocabulary function but the one a valid request names, no callable handed out, and no
audited action (file, process, import, code compilation, network) on the trusted side.
"""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from autograder.callbacks import CallLimits, SandboxFunction, Vocabulary, answer_callback, valid_callback_id
from autograder.sandbox_agent import decode, encode
from course import reference as ref

# ---------------------------------------------------------------------------- instruments
_AUDITING = [False]
_EVENTS: list[str] = []
_FORBIDDEN_PREFIXES = (
    "open", "os.", "subprocess.", "exec", "compile", "import", "socket.", "shutil.", "ctypes.",
    "pickle.", "marshal.", "code.", "builtins.input", "urllib.", "sys._getframe", "sys.settrace",
    "sys.setprofile", "object.__setattr__", "object.__delattr__", "function.__new__",
)  # fmt: skip


def _audit(event: str, args: tuple) -> None:
    if _AUDITING[0] and event.startswith(_FORBIDDEN_PREFIXES):
        _EVENTS.append(event)


sys.addaudithook(_audit)  # cannot be removed; inactive unless a test switches it on


class Recorder:
    """A vocabulary entry that records its calls and computes a reference function."""

    def __init__(self, name: str, function):
        self.name = name
        self.function = function
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def _vocabulary(limits: CallLimits | None = None) -> tuple[Vocabulary, dict[str, Recorder]]:
    entries = {
        "sigmoid": Recorder("sigmoid", ref.sigmoid),
        "AND": Recorder("AND", ref.AND),
        "f": Recorder("f", lambda x: float(np.sum(np.asarray(x, dtype=float) ** 2))),
    }
    vocabulary = Vocabulary({"sigmoid": entries["sigmoid"], "AND": entries["AND"]}, [entries["f"]])
    if limits is not None:
        vocabulary.limits = limits
    return vocabulary, entries


def _decode(data):
    """How the trusted side decodes callback arguments: sandbox functions become proxies."""
    return decode(data, lambda ident: SandboxFunction(lambda *a, **k: 0.0))


def _answer(message, vocabulary):
    _EVENTS.clear()
    _AUDITING[0] = True
    try:
        return answer_callback(message, vocabulary, _decode)
    finally:
        _AUDITING[0] = False


def _holds_function(wire) -> bool:
    if isinstance(wire, dict):
        return wire.get("t") == "fn" or any(_holds_function(v) for v in wire.values())
    if isinstance(wire, list):
        return any(_holds_function(v) for v in wire)
    return False


_answer({"op": "callback", "id": "cb1", "call": "sigmoid", "args": encode([np.zeros(3)])}, _vocabulary()[0])  # warm


# ---------------------------------------------------------------------------- the findings
def test_the_old_code_execution_path_is_refused(tmp_path):
    """Issue #10 finding 1: ``new`` on a substituted function returned an ndarray handle, and
    ``method: tofile`` on it wrote any file as root. Neither request exists any more."""
    vocabulary, entries = _vocabulary()
    target = tmp_path / "pwned.pth"
    args = encode([np.array([0.5])])
    for message in [
        {"op": "callback", "id": "cb1", "new": "sigmoid", "args": args, "kwargs": encode({})},
        {"op": "callback", "id": "cb2", "method": "tofile", "handle": 0, "args": encode([str(target)])},
        {"op": "callback", "id": "cb3", "getattr": "__class__", "handle": 0},
        {"op": "callback", "id": "cb4", "setattr": "x", "handle": 0, "value": encode(1)},
        {"op": "callback", "id": "cb5", "call": "sigmoid", "method": "tofile", "args": args},
        {"op": "callback", "id": "cb6", "call": "__import__", "args": encode(["os"])},
        {"op": "callback", "id": "cb7", "call": "ref.sigmoid.__globals__", "args": args},
        {"op": "callback", "id": "cb8", "call_fn": 1, "args": args},
        {"op": "callback", "id": "cb9", "call_fn": -1, "args": args},
        {"op": "callback", "id": "cb10", "call_fn": True, "args": args},
        {"op": "callback", "id": "cb11", "call": "sigmoid", "args": args, "kwargs": encode({"__class__": None})},
    ]:  # fmt: skip
        reply = _answer(message, vocabulary)
        assert reply["ok"] is False, message
        assert not _EVENTS, (message, _EVENTS)
    assert not target.exists()
    assert all(entry.calls == 0 for entry in entries.values())


def test_a_reference_function_returns_plain_data_only():
    vocabulary, entries = _vocabulary()
    reply = _answer(
        {"op": "callback", "id": "cb1", "call": "sigmoid", "args": encode([np.array([0.0, 2.0])])}, vocabulary
    )
    assert reply["ok"] is True and not _holds_function(reply)
    np.testing.assert_allclose(decode(reply["value"]), ref.sigmoid(np.array([0.0, 2.0])), rtol=0, atol=0)
    # a reference function that returned a callable would not hand it out
    vocabulary.functions = {"leak": lambda: ref.sigmoid}
    reply = _answer({"op": "callback", "id": "cb2", "call": "leak"}, vocabulary)
    assert reply["ok"] is False and "cannot be returned" in reply["error"]


@pytest.mark.parametrize(
    "args",
    [
        [np.ones((1 << 20, 1)), np.ones((1, 1 << 20))],  # finding 3: a broadcast of 2**40 elements
        [np.ones((1 << 21,))],  # one array over the element limit
        [np.ones((1,) * 5)],  # too many dimensions
        [np.ones(3), 1 << 40],  # an integer used as a size
        [[np.ones(1 << 20)] * 3],  # the total over the limit, in a list
    ],
)
def test_costly_arguments_are_refused_before_anything_is_computed(args):
    vocabulary, entries = _vocabulary()
    reply = _answer({"op": "callback", "id": "cb1", "call": "AND", "args": encode(args)}, vocabulary)
    assert reply["ok"] is False and reply["error"].startswith("Refused")
    assert entries["AND"].calls == 0


def test_calls_per_request_and_nesting_are_capped():
    vocabulary, entries = _vocabulary(CallLimits(max_calls=5, max_depth=2))
    message = {"op": "callback", "id": "cb1", "call": "sigmoid", "args": encode([np.zeros(2)])}
    replies = [_answer(message, vocabulary) for _ in range(8)]
    assert [r["ok"] for r in replies] == [True] * 5 + [False] * 3
    assert entries["sigmoid"].calls == 5
    vocabulary, entries = _vocabulary(CallLimits(max_depth=2))
    vocabulary.depth = 2  # as if called back from inside two nested calls
    assert _answer(message, vocabulary)["ok"] is False and entries["sigmoid"].calls == 0


def test_callback_ids_are_short_and_of_one_form():
    assert valid_callback_id("cb1") and valid_callback_id("cb123456789012")
    for bad in ["x" * 1_000_000, "cb", "cb1\n", 1, None, "cb-1", "cb1234567890123"]:
        assert not valid_callback_id(bad)


def test_forged_arrays_are_refused_by_the_decoder():
    """Object arrays (pickles), structured dtypes and arrays whose header lies about their size."""

    def npy(array, allow_pickle=False) -> str:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=allow_pickle)
        return base64.b64encode(buffer.getvalue()).decode()

    bad = [
        npy(np.array([object()], dtype=object), allow_pickle=True),
        npy(np.zeros(2, dtype=[("a", "f8"), ("b", "i4")])),
        npy(np.array(["text"])),
        npy(np.zeros(2, dtype=complex)),
        base64.b64encode(base64.b64decode(npy(np.zeros(4)))[:-8]).decode(),  # truncated data
        "not base64!",
    ]
    for text in bad:
        with pytest.raises(ValueError):
            decode({"t": "nd", "b64": text})


# ---------------------------------------------------------------------------- fuzzing
_NAMES = st.sampled_from(
    ["sigmoid", "AND", "f", "__import__", "eval", "exec", "open", "os.system", "__class__", "tofile",
     "__reduce_ex__", "__globals__", "", "sigmoid ", "SIGMOID", "call", "0"]
)  # fmt: skip
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_ARRAYS = st.builds(
    lambda shape, dtype: np.zeros(shape, dtype=dtype),
    st.lists(st.integers(0, 6), max_size=5).map(tuple),
    st.sampled_from(["f8", "f4", "i8", "u1", "?", "f2"]),
)
_WIRE_VALUES = st.recursive(
    st.one_of(
        _SCALARS.map(lambda v: encode(v) if not isinstance(v, int) or abs(v) < 10**30 else {"t": "int", "v": str(v)}),
        _ARRAYS.map(encode),
        st.integers(-3, 3).map(lambda i: {"t": "fn", "id": i}),
        st.fixed_dictionaries(
            {"t": st.sampled_from(["nd", "int", "float", "map", "list", "fn", "pickle"]), "v": _JSON}
        ),
    ),
    lambda inner: (
        st.lists(inner, max_size=4).map(lambda items: {"t": "list", "items": items})
        | st.dictionaries(st.text(max_size=6), inner, max_size=3).map(lambda items: {"t": "map", "items": items})
    ),
    max_leaves=8,
)
_WELL_FORMED = st.fixed_dictionaries(
    {
        "op": st.just("callback"),
        "id": st.integers(1, 99).map(lambda n: f"cb{n}"),
        "args": st.lists(st.one_of(_ARRAYS, st.floats(-5, 5), st.integers(0, 1)), max_size=3).map(encode),
    },
    optional={"kwargs": st.dictionaries(st.sampled_from(["x", "t", "_private", "1bad"]), st.floats(-1, 1)).map(encode)},
).flatmap(
    lambda base: st.one_of(
        st.sampled_from(["sigmoid", "AND", "f", "__import__"]).map(lambda name: {**base, "call": name}),
        st.integers(-1, 1).map(lambda index: {**base, "call_fn": index}),
    )
)
_MESSAGES = st.one_of(
    _WELL_FORMED,
    _WELL_FORMED,
    st.dictionaries(st.text(max_size=10), _JSON, max_size=6),
    st.fixed_dictionaries(
        {"op": st.just("callback"), "id": st.text(max_size=12)},
        optional={
            "call": st.one_of(_NAMES, _JSON),
            "call_fn": st.one_of(st.integers(-2, 3), _JSON),
            "new": _NAMES,
            "method": _NAMES,
            "getattr": _NAMES,
            "setattr": _NAMES,
            "handle": st.integers(-1, 3),
            "args": st.one_of(_WIRE_VALUES, _JSON),
            "kwargs": st.one_of(_WIRE_VALUES, _JSON),
            "value": _WIRE_VALUES,
        },
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_MESSAGES)
def test_fuzzed_messages_call_nothing_outside_the_vocabulary(message):
    vocabulary, entries = _vocabulary()
    reply = _answer(message, vocabulary)
    assert set(reply) <= {"ok", "value", "error"} and isinstance(reply["ok"], bool)
    assert not _EVENTS, _EVENTS  # no file, process, import, compilation or network on the trusted side
    assert not _holds_function(reply)  # no callable leaves the trusted side
    called = {name for name, entry in entries.items() if entry.calls}
    assert sum(entry.calls for entry in entries.values()) <= 1
    if called:  # only what a well-formed request named
        keys = set(message) - {"op", "id", "args", "kwargs"}
        if keys == {"call"}:
            assert called == {message["call"]} and message["call"] in vocabulary.functions
        else:
            assert keys == {"call_fn"} and called == {"f"} and message["call_fn"] == 0
    if reply["ok"]:
        assert vocabulary.called and len(vocabulary.called) == 1
    event("answered" if reply["ok"] else "computed, then failed" if called else "refused")


def test_the_vocabulary_module_never_looks_up_names_it_was_sent():
    """No getattr/setattr/eval/import with a value from a message anywhere in the trusted protocol."""
    import ast

    for module in ("callbacks.py", "worker_session.py", "remote_runner.py"):
        tree = ast.parse((Path(__file__).parents[2] / "autograder" / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"getattr", "setattr", "delattr", "eval", "exec", "__import__"}, (
                    f"{module}:{node.lineno} {node.func.id}"
                )


def test_computing_on_the_trusted_side_stops_at_the_deadline():
    """Red team: a callback whose argument check took minutes held the worker past every deadline
    (no I/O, so no pipe deadline fired). Whatever runs for a callback now stops at the request's deadline."""
    import time

    def endless(x):
        while True:
            pass

    vocabulary = Vocabulary({"endless": endless}, deadline=time.monotonic() + 0.5)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        answer_callback({"op": "callback", "id": "cb1", "call": "endless", "args": encode([1.0])}, vocabulary, _decode)
    assert time.monotonic() - start < 3
    # the many-shapes request of the red team is refused at once, without comparing shapes pairwise
    shapes = [np.zeros((0, k + 2)) for k in range(3000)]
    start = time.monotonic()
    reply = _answer({"op": "callback", "id": "cb2", "call": "AND", "args": encode(shapes)}, _vocabulary()[0])
    assert reply["ok"] is False and "too many arrays" in reply["error"] and time.monotonic() - start < 3


def test_lone_surrogates_never_reach_the_trusted_side():
    text = decode(encode(["\ud800x", {"\udfff": "ok"}]))
    assert text == ["?x", {"?": "ok"}]
    assert all(s.encode("utf-8") for s in ["?x", "?"])
    with pytest.raises(ValueError):
        decode({"t": "float", "v": "0x1p+99999"})  # an overflow is a malformed value, not an OverflowError
