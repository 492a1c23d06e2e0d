"""Part 3: one training step of the capstone network, ``course.reference`` against PyTorch (CPU).

The network of ``autograder.demo``: Affine → BatchNorm → ReLU, twice with 100 units, then
Affine → softmax cross-entropy, trained with Adam (lr 0.001). One step is forward, backward and
the Adam update of every parameter, on a fixed random batch (no download):

- reference: ``net.gradient(x, t)`` then ``Adam.update(net.params, grads)`` (``Trainer.train_step``);
- PyTorch: ``nn.Sequential(Linear, BatchNorm1d, ReLU, …)``, ``CrossEntropyLoss``,
  ``zero_grad(set_to_none=True)``, ``backward()``, ``torch.optim.Adam.step()``.

Both in float64, each in a subprocess of its own with the same number of threads: the BLAS
of NumPy limited by ``OMP_NUM_THREADS``/``OPENBLAS_NUM_THREADS``/``MKL_NUM_THREADS`` (and
``threadpoolctl``), PyTorch by ``torch.set_num_threads`` (and the same variables). Each step is
timed on its own after warm-up steps; the median, min and max are reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .common import PYTHON, REPO_ROOT, Stats, read_json, run_measured, subprocess_env

#: (name, input size, batch size): digits (8×8 images) and MNIST (28×28), 10 classes.
SHAPES = [("digits", 64, 32), ("digits", 64, 100), ("MNIST", 784, 100)]
HIDDEN = [100, 100]
CLASSES = 10
LR = 0.001


def _data(inputs: int, batch: int):
    import numpy as np

    rng = np.random.default_rng(0)
    return rng.standard_normal((batch, inputs)), rng.integers(0, CLASSES, size=batch)


def _time_steps(step, warmup: int, steps: int) -> list[float]:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def reference_steps(inputs: int, batch: int, warmup: int, steps: int) -> list[float]:
    import numpy as np

    from course.reference import Adam, MultiLayerNetExtend

    x, t = _data(inputs, batch)
    net = MultiLayerNetExtend(inputs, HIDDEN, CLASSES, use_batchnorm=True, rng=np.random.default_rng(0))
    optimizer = Adam(lr=LR)

    def step() -> None:
        grads = net.gradient(x, t)
        optimizer.update(net.params, grads)

    return _time_steps(step, warmup, steps)


def torch_steps(inputs: int, batch: int, warmup: int, steps: int, threads: int) -> list[float]:
    import torch

    torch.set_num_threads(threads)
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    x_np, t_np = _data(inputs, batch)
    x, t = torch.from_numpy(x_np), torch.from_numpy(t_np)
    layers: list[torch.nn.Module] = []
    previous = inputs
    for size in HIDDEN:
        layers += [torch.nn.Linear(previous, size), torch.nn.BatchNorm1d(size), torch.nn.ReLU()]
        previous = size
    layers.append(torch.nn.Linear(previous, CLASSES))
    model = torch.nn.Sequential(*layers).train()
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()

    return _time_steps(step, warmup, steps)


@dataclass
class KernelResult:
    shape: str
    inputs: int
    batch: int
    threads: int
    reference: Stats  # seconds per step
    torch: Stats | None  # None: PyTorch is not installed
    blas: str = ""  # NumPy's BLAS and the threads it used

    @property
    def ratio(self) -> float:
        """reference time / PyTorch time (below 1: the reference is faster)."""
        return self.reference.median / self.torch.median if self.torch and self.torch.values else float("nan")


def _thread_env(threads: int) -> dict[str, str]:
    value = str(threads)
    return subprocess_env(OMP_NUM_THREADS=value, OPENBLAS_NUM_THREADS=value, MKL_NUM_THREADS=value)


def torch_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def run_kernels(thread_counts: list[int], warmup: int, steps: int, work: Path, log: Path) -> list[KernelResult]:
    results = []
    have_torch = torch_available()
    for threads in thread_counts:
        for name, inputs, batch in SHAPES:
            values = {}
            for impl in ("reference", "torch") if have_torch else ("reference",):
                json_path = work / f"kernel-{impl}-{inputs}-{batch}-{threads}.json"
                argv = [PYTHON, "-m", "benchmarks.kernels", impl, "--inputs", str(inputs), "--batch", str(batch)]
                argv += ["--threads", str(threads), "--warmup", str(warmup), "--steps", str(steps)]
                argv += ["--json", str(json_path)]
                measured = run_measured(argv, env=_thread_env(threads), cwd=REPO_ROOT, log=log)
                if measured.returncode != 0:
                    raise RuntimeError(f"kernel benchmark {impl} failed (exit {measured.returncode}); see {log}")
                values[impl] = read_json(json_path)
            results.append(
                KernelResult(
                    name, inputs, batch, threads, Stats(values["reference"]["times"]),
                    Stats(values["torch"]["times"]) if "torch" in values else None, values["reference"]["blas"],
                )
            )  # fmt: skip
    return results


def _blas_info(threads: int) -> str:
    import numpy  # noqa: F401 - loads the BLAS that threadpoolctl reports

    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return ""
    threadpool_limits(threads)  # in case the environment variables were not honoured
    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(f"{i['internal_api']} {i.get('version') or ''} ({i['num_threads']} threads)" for i in info)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time training steps (used by benchmarks.run)")
    parser.add_argument("impl", choices=["reference", "torch"])
    parser.add_argument("--inputs", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    blas = _blas_info(args.threads)
    if args.impl == "reference":
        times = reference_steps(args.inputs, args.batch, args.warmup, args.steps)
    else:
        times = torch_steps(args.inputs, args.batch, args.warmup, args.steps, args.threads)
    args.json.write_text(json.dumps({"times": times, "blas": blas}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
