"""Models to train: every MODEL argument the other verbs take (built-ins such as
``digits-softmax`` and ``sizes-net`` are there for training)."""

from __future__ import annotations

from symbackprop.ir.model import Model
from symbackprop.readers.sources import load_model


def resolve_model(model: Model | str) -> Model:
    """A Model as it is, or whatever ``load_model`` reads.

    >>> resolve_model("digits-softmax").shapes["a2"]
    ('m', 10)
    """
    return model if isinstance(model, Model) else load_model(model)
