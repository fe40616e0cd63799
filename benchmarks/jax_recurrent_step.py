"""One training step of the generated JAX GRU and LSTM against hand-written JAX and PyTorch.

Contenders, all on the same sizes, data and weights (an ``nn.GRU``/``nn.LSTM``'s, read into
the generated module by ``from_torch``), each step forward over the sequence, backward through
time and a plain gradient-descent update of every weight:
- generated: the module's compiled ``step`` (a ``lax.scan`` forward and the derived BPTT
  backward as a reverse ``lax.scan``; sgd, no clipping; parameters donated);
- hand JAX: ``jax.jit`` of ``jax.value_and_grad`` of the cell written by hand as a
  ``lax.scan`` over packed weights, as a JAX user writes it without a library (also donating);
- torch eager: ``nn.GRU``/``nn.LSTM`` forward, ``loss.backward()`` and an in-place update.
The loss is half the sum of squares of every step's state minus a target. A second table
runs whole loops: the module's ``train`` (every epoch in one compiled ``lax.scan``) against a
hand-written ``lax.fori_loop`` of the hand step.

Run: ``python benchmarks/jax_recurrent_step.py [--rounds N]`` (the jax and oracle extras).
One thread on each side (XLA's CPU client, OpenBLAS and PyTorch are told so below, before
they start). The contenders run in interleaved rounds, so that a slow spell of a shared
machine falls on all of them alike; each row prints the median time per step and, in
brackets, the spread of the rounds (first to third quartile), and the ratios' medians and
quartiles over the rounds.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
from functools import partial  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from jax_step import ratio, rounds_of, spread  # noqa: E402

from symbackprop.cells.gru import gru_cell  # noqa: E402
from symbackprop.cells.layouts import from_torch  # noqa: E402
from symbackprop.cells.lstm import lstm_cell  # noqa: E402
from symbackprop.codegen.generate import module_text  # noqa: E402
from symbackprop.codegen.loader import load_module  # noqa: E402

torch.set_num_threads(1)
LR = 1e-4
CELLS = {"GRU": gru_cell, "LSTM": lstm_cell}
CASES = [  # cell, input, units, steps (time), batch
    ("GRU", 8, 16, 20, 16),
    ("GRU", 32, 64, 50, 32),
    ("LSTM", 8, 16, 20, 16),
    ("LSTM", 32, 64, 50, 32),
]
LOOP_CASES = [("GRU", 8, 16, 20, 16, 200), ("LSTM", 8, 16, 20, 16, 200)]  # ..., steps a loop
PACKED = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def gru_update(p: dict, h, gates_x):
    """nn.GRU's step by hand, gates r, z, n in rows of the packed weights."""
    gates_h = h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
    x_r, x_z, x_n = jnp.split(gates_x, 3, axis=1)
    h_r, h_z, h_n = jnp.split(gates_h, 3, axis=1)
    r, z = jax.nn.sigmoid(x_r + h_r), jax.nn.sigmoid(x_z + h_z)
    n = jnp.tanh(x_n + r * h_n)
    return (1 - z) * n + z * h


def hand_loss(kind: str):
    """Half the sum of squares of every state minus Y, the cell written by hand in a scan."""

    def loss(p: dict, X, Y):
        gates_x = jnp.swapaxes(X, 0, 1) @ p["weight_ih_l0"].T + p["bias_ih_l0"]
        zeros = jnp.zeros((X.shape[0], p["weight_hh_l0"].shape[1]), X.dtype)
        if kind == "GRU":

            def cell(h, g):
                h = gru_update(p, h, g)
                return h, h

            _, states = jax.lax.scan(cell, zeros, gates_x)
        else:

            def cell(carry, g):
                h, c = carry
                i, f, g_, o = jnp.split(g + h @ p["weight_hh_l0"].T + p["bias_hh_l0"], 4, axis=1)
                c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g_)
                h = jax.nn.sigmoid(o) * jnp.tanh(c)
                return (h, c), h

            _, states = jax.lax.scan(cell, (zeros, zeros), gates_x)
        return 0.5 * jnp.sum((states - jnp.swapaxes(Y, 0, 1)) ** 2)

    return loss


def hand_step(loss):
    def step(params, X, Y, lr):
        value, grads = jax.value_and_grad(loss)(params, X, Y)
        return {k: params[k] - lr * grads[k] for k in params}, value

    return jax.jit(step, donate_argnums=0)


def hand_loop(loss):
    @partial(jax.jit, static_argnums=4, donate_argnums=0)
    def loop(params, X, Y, lr, steps):
        def body(_, p):
            grads = jax.grad(loss)(p, X, Y)
            return {k: p[k] - lr * grads[k] for k in p}

        return jax.lax.fori_loop(0, steps, body, params)

    return loop


def setup(kind: str, n: int, units: int, steps: int, batch: int, dtype: str):
    """The generated module and its parameters, the hand-written packed ones, the data, and
    the PyTorch layer with its data: one network's weights everywhere."""
    torch_dtype = getattr(torch, dtype)
    torch.manual_seed(0)
    network = getattr(torch.nn, kind)(n, units, batch_first=True).to(torch_dtype)
    model = CELLS[kind]("pytorch", n, units)
    module = load_module(model, module_text(model, target="jax", dtype=dtype))
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(batch, steps, n)), rng.normal(size=(batch, steps, units)) * 0.5
    state_dict = {k: v.detach().numpy() for k, v in network.state_dict().items()}
    params = {k: jnp.asarray(v, dtype) for k, v in from_torch(model.cell, state_dict).items()}
    packed = {k: jnp.asarray(state_dict[k], dtype) for k in PACKED}
    data = (jnp.asarray(X, dtype), jnp.asarray(Y, dtype))
    torch_data = (torch.tensor(X, dtype=torch_dtype), torch.tensor(Y, dtype=torch_dtype))
    return module, params, packed, data, network, torch_data


def same_numbers(module, params, loss, packed, data, network, torch_data) -> None:
    """The three contenders' losses at the start agree: one network, one sum, one data."""
    with torch.no_grad():
        states, _ = network(torch_data[0])
    by_torch = float(0.5 * ((states - torch_data[1]) ** 2).sum())
    losses = [float(module.loss(params, *data)), float(loss(packed, *data))]
    tolerance = 1e-10 if data[0].dtype == jnp.float64 else 1e-4
    if not np.allclose(losses, by_torch, rtol=tolerance, atol=0):
        raise AssertionError(f"the contenders compute different losses: {losses}, {by_torch}")


def carrying(step, params, data):
    """A runner of n steps that carries the parameters (donated to each step) on."""
    held = {"params": {k: v.copy() for k, v in params.items()}}

    def run(n: int) -> None:
        p = held["params"]
        for _ in range(n):
            p = step(p, *data)
        held["params"] = jax.block_until_ready(p)

    return run


def torch_runner(network, X, Y):
    def run(n: int) -> None:
        for _ in range(n):
            network.zero_grad()
            states, _ = network(X)
            (0.5 * ((states - Y) ** 2).sum()).backward()
            with torch.no_grad():
                for p in network.parameters():
                    p -= LR * p.grad

    return run


def step_rows(rounds: int, dtype: str) -> None:
    print(f"\n{dtype}: one training step (µs)")
    print("| cell | input-units | time x batch | hand JAX | generated | torch eager |", end="")
    print(" generated / hand | generated / torch |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, n, units, steps, batch in CASES:
        module, params, packed, data, network, torch_data = setup(
            kind, n, units, steps, batch, dtype
        )
        by_hand = hand_step(hand_loss(kind))
        same_numbers(module, params, hand_loss(kind), packed, data, network, torch_data)

        def hand(p, X, Y, by_hand=by_hand):
            return by_hand(p, X, Y, LR)[0]

        def generated(p, X, Y, module=module):
            return module.step(p, {}, X, Y, LR, "sgd", None)[0]

        times = rounds_of(
            {
                "hand": (carrying(hand, packed, data), 1),
                "generated": (carrying(generated, params, data), 1),
                "torch": (torch_runner(network, *torch_data), 1),
            },
            rounds,
        )
        print(
            f"| {kind} | {n}-{units} | {steps} x {batch} | {spread(times['hand'])} | "
            f"{spread(times['generated'])} | {spread(times['torch'])} | "
            f"{ratio(times['generated'], times['hand'])} | "
            f"{ratio(times['generated'], times['torch'])} |"
        )


def loop_rows(rounds: int, dtype: str) -> None:
    print(f"\n{dtype}: whole loops, µs per step")
    print(
        "| cell | input-units | time x batch | steps | hand fori_loop | generated train | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind, n, units, steps, batch, count in LOOP_CASES:
        module, params, packed, data, _, _ = setup(kind, n, units, steps, batch, dtype)
        loop = hand_loop(hand_loss(kind))
        held = {"params": {k: v.copy() for k, v in packed.items()}}

        def by_hand(calls, loop=loop, held=held, data=data, count=count):
            for _ in range(calls):
                held["params"] = jax.block_until_ready(loop(held["params"], *data, LR, count))

        def generated(calls, module=module, params=params, data=data, count=count):
            for _ in range(calls):
                options = {"epochs": count, "lr": LR, "optimizer": "sgd", "clip": None}
                jax.block_until_ready(module.train(params, *data, **options)[0])

        times = rounds_of({"hand": (by_hand, count), "generated": (generated, count)}, rounds)
        print(
            f"| {kind} | {n}-{units} | {steps} x {batch} | {count} | {spread(times['hand'])} | "
            f"{spread(times['generated'])} | {ratio(times['generated'], times['hand'])} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--dtype", choices=("float64", "float32", "both"), default="both")
    args = parser.parse_args()
    print(
        f"jax {jax.__version__} on {jax.devices()[0].platform}, torch {torch.__version__}, "
        f"one thread, {args.rounds} interleaved rounds; median [quartiles]"
    )
    for dtype in ("float64", "float32") if args.dtype == "both" else (args.dtype,):
        step_rows(args.rounds, dtype)
        loop_rows(args.rounds, dtype)


if __name__ == "__main__":
    main()
