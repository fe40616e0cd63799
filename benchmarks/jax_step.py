"""The generated JAX module against hand-written JAX, as ratios of medians (the jax extra).

Step: the module's compiled ``step`` (derived gradients, donated parameters) against a
hand-written ``jax.jit`` step of ``jax.value_and_grad``, also donating. Loop: the module's
``train`` (every epoch in one compiled ``lax.scan``) against a hand-written
``lax.fori_loop`` of the same step, per step; and on question 1's XOR net against its own
hand-written NumPy loop. Both sides compute in float64 unless ``--dtype float32``.

Run: ``python benchmarks/jax_step.py [--rounds N]``. One thread on each side (XLA's CPU
client and OpenBLAS are told so below, before they start). The contenders run in interleaved
rounds, so that a slow spell of a shared machine falls on all of them alike; each row prints
the median time per step and, in brackets, the spread of the rounds (first to third
quartile), and the ratio's median and quartiles over the rounds.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import time  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402
from train_step import q1_xor_step  # noqa: E402

from symbackprop.codegen.generate import module_text  # noqa: E402
from symbackprop.codegen.loader import load_module  # noqa: E402
from symbackprop.ir.network import dense_network  # noqa: E402
from symbackprop.readers.examples import builtin  # noqa: E402

XOR_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
XOR_Y = np.array([[0, 1, 1, 0]], dtype=float).T

STEP_CASES = [  # name, sizes (None: question 1's XOR net, no biases), activation, batch
    ("xor 3-4-1", None, "sigmoid", 4),
    ("digits 64-128-10", [64, 128, 10], "sigmoid", 64),
    ("digits 64-128-10", [64, 128, 10], "sigmoid", 1797),
    ("digits 64-128-10", [64, 128, 10], "tanh", 64),
    ("digits 64-128-10", [64, 128, 10], "tanh", 1797),
    ("wide 1024-1024-10", [1024, 1024, 10], "sigmoid", 256),
]
LOOP_CASES = [  # name, sizes, activation, batch, steps per loop
    ("xor 3-4-1", None, "sigmoid", 4, 5000),
    ("digits 64-128-10", [64, 128, 10], "tanh", 64, 500),
]


def case_setup(sizes, activation: str, batch: int, dtype: str):
    """The generated module, its start, the data, and the same loss written by hand in JAX."""
    import jax
    import jax.numpy as jnp

    if sizes is None:
        model, X, y = builtin("xor"), XOR_X, XOR_Y
    else:
        model = dense_network(sizes, activation, loss="half_sse", reduction="sum")
        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(batch, sizes[0])), rng.uniform(size=(batch, sizes[-1]))
    module = load_module(model, module_text(model, target="jax", dtype=dtype))
    params = module.init_params(0, "uniform" if sizes is None else "glorot")
    act = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh}[activation]

    def loss(p, X, y):
        if sizes is None:  # question 1's net
            out = act(act(X @ p["synapse_0"]) @ p["synapse_1"])
        else:
            out = act(act(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
        return 0.5 * jnp.sum((out - y) ** 2)

    data = (jnp.asarray(X, module.DTYPE), jnp.asarray(y, module.DTYPE))
    return module, params, data, loss


def hand_step(loss):
    import jax

    def step(params, X, y, lr):
        value, grads = jax.value_and_grad(loss)(params, X, y)
        return {k: params[k] - lr * grads[k] for k in params}, value

    return jax.jit(step, donate_argnums=0)


def hand_loop(loss):
    import jax

    @partial(jax.jit, static_argnums=4, donate_argnums=0)
    def loop(params, X, y, lr, steps):
        def body(_, p):
            grads = jax.grad(loss)(p, X, y)
            return {k: p[k] - lr * grads[k] for k in p}

        return jax.lax.fori_loop(0, steps, body, params)

    return loop


def stepping(step, params, data, lr):
    """A runner of n steps that carries the parameters from call to call."""
    import jax

    held = {"params": {k: v.copy() for k, v in params.items()}}

    def run(n: int) -> None:
        p = held["params"]
        for _ in range(n):
            p, _loss = step(p, *data, lr)
        jax.block_until_ready(p)
        held["params"] = p

    return run


def rounds_of(runners: dict, rounds: int, seconds: float = 0.05) -> dict:
    """Seconds per step of each runner, one figure per round, the runners interleaved.
    runners: name -> (run(n), steps per call)."""
    counts = {}
    for name, (run, _per_call) in runners.items():
        run(1)  # compile
        start = time.perf_counter()
        run(1)
        counts[name] = max(1, int(seconds / max(time.perf_counter() - start, 1e-7)))
    times: dict = {name: [] for name in runners}
    for _ in range(rounds):
        for name, (run, per_call) in runners.items():
            start = time.perf_counter()
            run(counts[name])
            times[name].append((time.perf_counter() - start) / (counts[name] * per_call))
    return {name: np.array(values) for name, values in times.items()}


def spread(values: np.ndarray, scale: float = 1e6) -> str:
    q1, median, q3 = np.percentile(values, [25, 50, 75]) * scale
    return f"{median:.1f} [{q1:.1f}-{q3:.1f}]"


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> str:
    q1, median, q3 = np.percentile(numerator / denominator, [25, 50, 75])
    return f"{median:.3f} [{q1:.3f}-{q3:.3f}]"


def step_rows(rounds: int, dtype: str) -> None:
    print("| case | act | batch | hand jit(value_and_grad) µs | generated step µs | ratio |")
    print("|---|---|---|---|---|---|")
    for name, sizes, activation, batch in STEP_CASES:
        module, params, data, loss = case_setup(sizes, activation, batch, dtype)
        times = rounds_of(
            {
                "hand": (stepping(hand_step(loss), params, data, 1e-3), 1),
                "generated": (stepping(module.step, params, data, 1e-3), 1),
            },
            rounds,
        )
        print(
            f"| {name} | {activation} | {batch} | {spread(times['hand'])} | "
            f"{spread(times['generated'])} | {ratio(times['generated'], times['hand'])} |"
        )


def loop_rows(rounds: int, dtype: str) -> None:
    import jax

    print("\n| loop | act | steps | hand fori_loop µs/step | generated train µs/step | ratio |")
    print("|---|---|---|---|---|---|")
    for name, sizes, activation, batch, steps in LOOP_CASES:
        module, params, data, loss = case_setup(sizes, activation, batch, dtype)
        loop = hand_loop(loss)
        held = {"params": {k: v.copy() for k, v in params.items()}}

        def by_hand(n, loop=loop, held=held, data=data, steps=steps):
            for _ in range(n):
                held["params"] = jax.block_until_ready(loop(held["params"], *data, 1e-3, steps))

        def generated(n, module=module, params=params, data=data, steps=steps):
            for _ in range(n):
                trained, _losses = module.train(params, *data, epochs=steps, lr=1e-3)
                jax.block_until_ready(trained)

        runners = {"hand": (by_hand, steps), "generated": (generated, steps)}
        if sizes is None:  # question 1's own NumPy loop, step by step
            numpy_params = {k: np.array(v) for k, v in params.items()}

            def numpy_loop(n, p=numpy_params, steps=steps):
                for _ in range(n * steps):
                    q1_xor_step(p, XOR_X, XOR_Y, 1e-3)

            runners["numpy"] = (numpy_loop, steps)
        times = rounds_of(runners, rounds)
        print(
            f"| {name} | {activation} | {steps} | {spread(times['hand'], 1e6)} | "
            f"{spread(times['generated'], 1e6)} | {ratio(times['generated'], times['hand'])} |"
        )
        if "numpy" in times:
            print(
                f"|   hand-written NumPy loop, µs/step | | | {spread(times['numpy'])} | "
                f"speed-up of generated: | {ratio(times['numpy'], times['generated'])} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    args = parser.parse_args()
    import jax

    print(
        f"jax {jax.__version__} on {jax.devices()[0].platform}, {args.dtype}, one thread, "
        f"{args.rounds} interleaved rounds; median [quartiles]\n"
    )
    step_rows(args.rounds, args.dtype)
    loop_rows(args.rounds, args.dtype)
    print("\nRecurrent cells (GRU/LSTM): benchmarks/jax_recurrent_step.py.")


if __name__ == "__main__":
    main()
