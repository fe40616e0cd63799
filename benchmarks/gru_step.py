"""One BPTT step (forward over the sequence and backward) of the generated GRU module, as
ratios against PyTorch eager on CPU, measured in the same process.

Compared: the generated NumPy module (PyTorch convention, weights loaded from the very
``nn.GRU`` it is timed against), ``torch.nn.GRU`` forward + ``loss.backward()`` (PyTorch's own
C++ loop over steps, autograd backward), and the same GRU written as an eager per-step loop
of torch operations. Loss: half the sum of squares of every step's state minus a target.

The machine may be shared: every timing is the best of several interleaved repeats, and
both sides run on one thread by default (``--threads`` for PyTorch, ``OPENBLAS_NUM_THREADS``
for NumPy), since spinning BLAS and OpenMP threads on a busy machine measure the load rather
than the code.

Run: ``python benchmarks/gru_step.py [--repeat N] [--threads T]`` (needs the ``oracle`` extra).
"""

from __future__ import annotations

import os

# One BLAS thread unless the caller sets it: set before NumPy and PyTorch load their BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from symbackprop.cells.gru import gru_cell  # noqa: E402
from symbackprop.cells.layouts import from_torch  # noqa: E402
from symbackprop.codegen.loader import load_module  # noqa: E402

INPUT, UNITS, STEPS, BATCH = 32, 64, 50, 32
DTYPES = ((np.float32, torch.float32), (np.float64, torch.float64))


def generated_step(module, params, X, Y):
    return lambda: module.backward(params, module.forward(params, X, Y))


def torch_gru_step(gru, X, Y):
    def step():
        gru.zero_grad()
        states, _ = gru(X)
        (0.5 * ((states - Y) ** 2).sum()).backward()

    return step


def torch_loop_step(gru, X, Y):
    """nn.GRU's equations as eager torch operations, one step at a time."""
    w_ih, w_hh, b_ih, b_hh = gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0

    def step():
        gru.zero_grad()
        h = torch.zeros(X.shape[0], UNITS, dtype=X.dtype)
        gates_x = X @ w_ih.T + b_ih
        loss = 0
        for t in range(X.shape[1]):
            x_r, x_z, x_n = gates_x[:, t].chunk(3, 1)
            h_r, h_z, h_n = (h @ w_hh.T + b_hh).chunk(3, 1)
            r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
            h = (1 - z) * torch.tanh(x_n + r * h_n) + z * h
            loss = loss + 0.5 * ((h - Y[:, t]) ** 2).sum()
        loss.backward()

    return step


def best_seconds(steps: dict, repeat: int) -> dict:
    """Best time per call of each step, measured round-robin so that load hits all alike."""
    for step in steps.values():
        step()  # warm up
    best = {name: float("inf") for name in steps}
    for _ in range(repeat):
        for name, step in steps.items():
            best[name] = min(best[name], min(timeit.repeat(step, number=3, repeat=3)) / 3)
    return best


def measure(np_dtype, torch_dtype, repeat: int) -> dict:
    torch.manual_seed(0)
    gru = torch.nn.GRU(INPUT, UNITS, batch_first=True).to(torch_dtype)
    model = gru_cell("pytorch", INPUT, UNITS)
    module = load_module(model)
    params = {k: v.astype(np_dtype) for k, v in from_torch(model.cell, gru.state_dict()).items()}
    rng = np.random.default_rng(0)
    X = rng.normal(size=(BATCH, STEPS, INPUT)).astype(np_dtype)
    Y = rng.normal(size=(BATCH, STEPS, UNITS)).astype(np_dtype)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    steps = {
        "generated": generated_step(module, params, X, Y),
        "torch nn.GRU": torch_gru_step(gru, Xt, Yt),
        "torch eager loop": torch_loop_step(gru, Xt, Yt),
    }
    return best_seconds(steps, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="PyTorch's intra-op threads")
    args = parser.parse_args()
    repeat = args.repeat
    torch.set_num_threads(args.threads)
    print(
        f"GRU BPTT step: input {INPUT}, units {UNITS}, sequence {STEPS}, batch {BATCH}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    columns = ["dtype", "generated ms", "nn.GRU ms", "eager loop ms"]
    columns += ["generated / nn.GRU", "generated / eager loop"]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|")
    for np_dtype, torch_dtype in DTYPES:
        t = measure(np_dtype, torch_dtype, repeat)
        ours, gru, loop = t["generated"], t["torch nn.GRU"], t["torch eager loop"]
        print(
            f"| {np.dtype(np_dtype).name} | {ours * 1e3:.2f} | {gru * 1e3:.2f} | "
            f"{loop * 1e3:.2f} | {ours / gru:.2f} | {ours / loop:.2f} |"
        )


if __name__ == "__main__":
    main()
