"""One training step (forward, backward, SGD update) of the generated module, as ratios.

Baseline: the asker's hand-written NumPy step (``1/(1+np.exp(-x))``, ``.dot``, ``-=``), run in
the same process. Compared: the generated module's ``train_step`` (what its ``train`` runs for
SGD), PyTorch eager in float64 (oracle extra), JAX jit where installed, and the "GEMM floor":
the step's matrix products alone, written into kept arrays.

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/train_step.py [--repeat N]`` (one thread on
each side: on a 2-core machine shared with other work, threads make the figures noise).

The hand-written step allocates fresh arrays; when the allocator hands their memory back to
the system between steps, every step pays page faults (twice the time at batch 1797). The
contenders run in interleaved rounds, which usually keeps its memory warm: the figures
compare with the hand-written step at its best.
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np

from symbackprop.codegen.loader import load_module
from symbackprop.ir.network import dense_network
from symbackprop.readers.examples import builtin

CASES = [  # name, sizes, batch; sizes None: the asker's own XOR net (no biases) and its loop
    ("xor 3-4-1 (seed)", None, 4),
    ("digits 64-128-10", [64, 128, 10], 64),
    ("digits 64-128-10", [64, 128, 10], 1797),
    ("wide 1024-1024-10", [1024, 1024, 10], 256),
]


def hand_written_step(params, X, y, lr):
    """Question 1's loop body, with biases, for a two-layer sigmoid net."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    layer_1 = 1 / (1 + np.exp(-(np.dot(X, W1) + b1)))
    layer_2 = 1 / (1 + np.exp(-(np.dot(layer_1, W2) + b2)))
    layer_2_delta = (layer_2 - y) * (layer_2 * (1 - layer_2))
    layer_1_delta = layer_2_delta.dot(W2.T) * (layer_1 * (1 - layer_1))
    W2 -= lr * layer_1.T.dot(layer_2_delta)
    b2 -= lr * layer_2_delta.sum(axis=0)
    W1 -= lr * X.T.dot(layer_1_delta)
    b1 -= lr * layer_1_delta.sum(axis=0)


def q1_xor_step(params, X, y, alpha):
    """Question 1's loop body, verbatim."""
    synapse_0, synapse_1 = params["synapse_0"], params["synapse_1"]
    layer_1 = 1 / (1 + np.exp(-(np.dot(X, synapse_0))))
    layer_2 = 1 / (1 + np.exp(-(np.dot(layer_1, synapse_1))))
    layer_2_delta = (layer_2 - y) * (layer_2 * (1 - layer_2))
    layer_1_delta = layer_2_delta.dot(synapse_1.T) * (layer_1 * (1 - layer_1))
    synapse_1 -= alpha * layer_1.T.dot(layer_2_delta)
    synapse_0 -= alpha * X.T.dot(layer_1_delta)


def gemm_floor(first: str, second: str):
    """Only the matrix products of one step, each written into an array kept from the last
    call (no allocation), as the lowest time any step of this net can take."""
    kept: dict = {}

    def products(params, X, y, lr):
        def product(name, a, b):
            kept[name] = np.matmul(a, b, out=kept.get(name))
            return kept[name]

        layer_1 = product("layer_1", X, params[first])
        layer_2 = product("layer_2", layer_1, params[second])
        delta_1 = product("delta_1", layer_2, params[second].T)
        product("grad_2", layer_1.T, layer_2)
        product("grad_1", X.T, delta_1)

    return products


def generated_step(module):
    """The module's fused step, as its train() runs plain gradient descent."""
    work: dict = {}

    def step(params, X, y, lr):
        module.train_step(params, X, y, lr, work)

    return step


def torch_step(q1_xor: bool):
    import os

    import torch

    # The same number of threads as NumPy's BLAS was given, so that the ratio compares code.
    if os.environ.get("OPENBLAS_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OPENBLAS_NUM_THREADS"]))

    def step(params, X, y, lr):
        layer_2 = two_layers(torch.sigmoid, params, X, q1_xor)
        loss = 0.5 * ((layer_2 - y) ** 2).sum()
        grads = torch.autograd.grad(loss, list(params.values()))
        with torch.no_grad():
            for value, grad in zip(params.values(), grads, strict=True):
                value -= lr * grad

    return step, torch


def jax_step(q1_xor: bool):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def loss(params, X, y):
        layer_2 = two_layers(jax.nn.sigmoid, params, X, q1_xor)
        return 0.5 * jnp.sum((layer_2 - y) ** 2)

    @jax.jit
    def step(params, X, y, lr):
        grads = jax.grad(loss)(params, X, y)
        return {k: params[k] - lr * grads[k] for k in params}

    return step, jnp


def two_layers(sigmoid, params, X, q1_xor: bool):
    """The benchmark nets' forward pass in another framework's arrays."""
    if q1_xor:
        return sigmoid(sigmoid(X @ params["synapse_0"]) @ params["synapse_1"])
    layer_1 = sigmoid(X @ params["W1"] + params["b1"])
    return sigmoid(layer_1 @ params["W2"] + params["b2"])


def best_seconds(contenders: dict, repeat: int) -> dict:
    """Each contender's best time per step, measured in interleaved rounds so that a slow
    spell of the machine falls on all of them alike. contenders: name -> (step, arguments)."""
    runs = {}
    for name, (step, arguments) in contenders.items():
        step(*arguments)  # warm up (and compile, for jit)
        once = max(timeit.timeit(lambda s=step, a=arguments: s(*a), number=1), 1e-7)
        runs[name] = max(1, int(0.05 / once))
    best = dict.fromkeys(contenders, float("inf"))
    for _round in range(repeat):
        for name, (step, arguments) in contenders.items():
            took = timeit.timeit(lambda s=step, a=arguments: s(*a), number=runs[name])
            best[name] = min(best[name], took / runs[name])
    return best


def measure(sizes, batch, repeat):
    rng = np.random.default_rng(0)
    q1_xor = sizes is None
    if q1_xor:  # question 1: its data, its net and its own loop as the baseline
        module, hand = load_module(builtin("xor")), q1_xor_step
        floor = gemm_floor("synapse_0", "synapse_1")
        params = module.init_params(0)
        X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)  # noqa: N806
        y = np.array([[0, 1, 1, 0]], dtype=float).T
    else:
        model = dense_network(sizes, "sigmoid", loss="half_sse", reduction="sum")
        module, hand, floor = load_module(model), hand_written_step, gemm_floor("W1", "W2")
        params = module.init_params(0, "glorot")
        X, y = rng.normal(size=(batch, sizes[0])), rng.uniform(size=(batch, sizes[-1]))  # noqa: N806
    fresh = lambda: {k: v.copy() for k, v in params.items()}  # noqa: E731
    lr = 1e-3
    contenders = {
        "hand-written": (hand, (fresh(), X, y, lr)),
        "generated": (generated_step(module), (fresh(), X, y, lr)),
        "GEMM floor": (floor, (fresh(), X, y, lr)),
    }
    for name, factory in (("torch eager", torch_step), ("jax jit", jax_step)):
        try:
            step, lib = factory(q1_xor)
        except ImportError:
            continue
        convert = lib.asarray if name == "jax jit" else lib.tensor
        tensors = {k: convert(v) for k, v in fresh().items()}
        if name == "torch eager":
            for value in tensors.values():
                value.requires_grad_(True)
        contenders[name] = (step, (tensors, convert(X), convert(y), lr))
    return best_seconds(contenders, repeat)


def row(name: str, batch: int, t: dict) -> str:
    hand = t["hand-written"]

    def over(key: str, base: float) -> str:
        return f"{t[key] / base:.2f}" if key in t else "n/a"

    torch_ratio = over("generated", t["torch eager"]) if "torch eager" in t else "n/a"
    return (
        f"| {name} | {batch} | {hand * 1e6:.1f} | {over('generated', hand)} | "
        f"{over('torch eager', hand)} | {over('jax jit', hand)} | "
        f"{over('generated', t['GEMM floor'])} | {torch_ratio} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    print(
        "| case | batch | hand-written µs | generated / hand | torch / hand | jax / hand "
        "| generated / GEMM floor | generated / torch |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, sizes, batch in CASES:
        print(row(name, batch, measure(sizes, batch, repeat)))


if __name__ == "__main__":
    main()
