"""Random fully connected networks, drawn by hypothesis, for the "every network" properties
of each target (tests/test_generated_gradients.py, tests/test_jax_random_networks.py)."""

from typing import NamedTuple

from hypothesis import strategies as st

from symbackprop.ir.network import dense_network

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "swish", "gelu"]
LOSSES = ["half_sse", "sse", "mse", "bce", "softmax_ce"]
LAST = {"bce": "sigmoid", "softmax_ce": "softmax"}  # the output a loss needs


class Network(NamedTuple):
    sizes: list[int]
    activations: list[str]
    loss: str
    reduction: str

    def model(self):
        return dense_network(self.sizes, self.activations, loss=self.loss, reduction=self.reduction)


@st.composite
def networks(draw) -> Network:
    """1 to 4 layers of 1 to 8 units, any hidden activation, every loss and reduction."""
    sizes = draw(st.lists(st.integers(1, 8), min_size=2, max_size=5))
    layers = len(sizes) - 1
    hidden = draw(st.lists(st.sampled_from(HIDDEN), min_size=layers, max_size=layers))
    loss = draw(st.sampled_from(LOSSES))
    activations = [*hidden[:-1], LAST.get(loss, hidden[-1])]
    return Network(sizes, activations, loss, draw(st.sampled_from(["sum", "mean"])))
