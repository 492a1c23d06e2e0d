"""Stand-ins that a grading check may put in place of a learner's function in the learner's own process.

A check that grades one exercise replaces the other exercises it touches with the course's own
versions, so that an earlier mistake costs points only once. Usually the grader computes those
versions itself; a stand-in is for the case where that cannot work because the function must act
on the learner's objects where they live: ``SimpleNet.numerical_gradient`` calls
``numerical_gradient(lambda _: self.loss(x, t), self.W)``, whose function reads ``self.W`` while
``numerical_gradient`` perturbs that very array.

Each stand-in behaves as its exercise's docstring asks for the inputs that checks give it (float64
arrays). They are not the exercises' reference solutions (none of their input rules), and what they
compute already ships with the learner's package (:func:`course.gradcheck.eval_numerical_gradient`).

A stand-in BASE is for an exercise that a later exercise inherits from: ``class AMSGrad(Adam)`` calls the
``_moments`` of the learner's ``Adam``. For the duration of one grading call the learner's class gets the
stand-in in place of that base (its ``__bases__`` are swapped and restored), so the later exercise is graded
on its own code. A stand-in base holds the state the docstring describes; what it computes it asks of the
trusted side through the functions named in its ``needs`` (each bound, per call, to the reference function
that the check substituted under that name), so no formula of an exercise ships here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .gradcheck import eval_numerical_gradient

__all__ = ["STAND_IN_BASES", "STAND_INS", "AdamBase", "centred_gradient"]


def centred_gradient(f: Callable[[np.ndarray], Any], x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Centred differences of the scalar function f at x (float64 array of any shape), perturbing x in place.

    Returns a float64 array of the shape of x; x is restored bit for bit.
    """
    return eval_numerical_gradient(f, x, h=h)


#: name in the learner's notebook → its stand-in (the closed set a grading request may name)
STAND_INS: dict[str, Callable[..., Any]] = {"numerical_gradient": centred_gradient}


class AdamBase:
    """Stand-in for the learner's ``Adam`` (ch06, exercise 7) as the base of ``AMSGrad`` (exercise 8).

    As the docstring of ``Adam`` states: ``__init__(lr, beta1, beta2, eps)``, ``t = 0``, ``m`` and ``v``
    dicts of per-key arrays, and ``_moments(key, param, g)`` that updates ``m[key]``, ``v[key]`` in place
    (zero arrays of ``param``'s shape for a new key) and returns them. The new moments come from
    ``adam_moments(m, v, g, beta1, beta2) -> (m, v)``, bound per call to the check's reference function.
    """

    needs = ("adam_moments",)
    adam_moments: Callable[..., tuple[np.ndarray, np.ndarray]]

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m: dict[Any, np.ndarray] = {}
        self.v: dict[Any, np.ndarray] = {}

    def _moments(self, key: Any, param: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if key not in self.m:
            self.m[key] = np.zeros(np.shape(param))
            self.v[key] = np.zeros(np.shape(param))
        m, v = self.adam_moments(self.m[key], self.v[key], np.asarray(g, dtype=np.float64), self.beta1, self.beta2)
        self.m[key][...] = m
        self.v[key][...] = v
        return self.m[key], self.v[key]

    def update(self, params: dict, grads: dict) -> None:
        raise NotImplementedError("AdamBase stands in for Adam's state and _moments only")


#: name of a learner's class → the stand-in base that may take its place under the learner's subclasses
STAND_IN_BASES: dict[str, type] = {"Adam": AdamBase}


def bind_base(name: str, functions: dict[str, Callable[..., Any]]) -> type:
    """A fresh subclass of the stand-in base ``name`` whose ``needs`` are bound to ``functions``
    (name → callable: the reference functions, or the sandbox's proxies of them)."""
    stand_in = STAND_IN_BASES[name]
    return type(name, (stand_in,), {need: staticmethod(functions[need]) for need in stand_in.needs})


def swap_bases(namespace: dict[str, Any], bases: dict[str, type]) -> list[tuple[type, tuple[type, ...]]]:
    """Put each stand-in of ``bases`` (learner class name → bound stand-in) in place of that learner class
    among the direct bases of every class of ``namespace``. Returns what to give to :func:`restore_bases`."""
    swapped = []
    for name, stand_in in bases.items():
        original = namespace.get(name)
        if not isinstance(original, type):
            continue
        for obj in list(namespace.values()):
            if isinstance(obj, type) and obj is not original and original in obj.__bases__:
                saved = obj.__bases__
                try:
                    obj.__bases__ = tuple(stand_in if base is original else base for base in saved)
                except TypeError:  # a layout Python cannot swap (slots, built-in bases): graded as it is
                    continue
                swapped.append((obj, saved))
    return swapped


def restore_bases(swapped: list[tuple[type, tuple[type, ...]]]) -> None:
    """Undo :func:`swap_bases` (last swap first)."""
    for obj, saved in reversed(swapped):
        obj.__bases__ = saved
