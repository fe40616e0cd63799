"""Models to train: every MODEL argument the other verbs take, plus variants made for
training (built here with :func:`dense_network`, so no other package needs to change)."""

from __future__ import annotations

from collections.abc import Callable

from symbackprop.model.examples import EXAMPLES
from symbackprop.model.ir import Model
from symbackprop.model.network import dense_network
from symbackprop.model.sources import load_model


def digits_softmax() -> Model:
    """The question-6 classifier done as it trains well: 64-32-10, tanh hidden units and a
    softmax output with cross-entropy (use with standardised inputs and Glorot weights)."""
    return dense_network(
        [64, 32, 10],
        ["tanh", "softmax"],
        loss="softmax_ce",
        reduction="mean",
        name="digits-softmax",
    )


def sizes_net() -> Model:
    """A vector-mode 2-4-1 sigmoid net with the mean binary cross-entropy, for ``sizes``."""
    return dense_network([2, 4, 1], "sigmoid", loss="bce", reduction="mean", name="sizes-net")


TRAIN_MODELS: dict[str, Callable[[], Model]] = {
    "digits-softmax": digits_softmax,
    "sizes-net": sizes_net,
}


def resolve_model(model: Model | str) -> Model:
    """A Model as it is, a training variant by name, or whatever ``load_model`` reads.

    >>> resolve_model("digits-softmax").shapes["a2"]
    ('m', 10)
    """
    if isinstance(model, Model):
        return model
    if model in TRAIN_MODELS and model not in EXAMPLES:
        return TRAIN_MODELS[model]()
    return load_model(model)
