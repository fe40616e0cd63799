"""Generated gradients agree with PyTorch autograd (the `oracle` extra) in float64: the NumPy
module and the JAX one (the `jax` extra) alike."""

import numpy as np
import pytest
from targets import TARGETS, initial_params, target_module
from torch_reference import F, torch, torch_dense_loss, torch_gradients

from symbackprop.codegen.verify import sample_data
from symbackprop.ir.network import dense_network
from symbackprop.readers.examples import builtin


def assert_agrees(module, params, data, expected, tolerance=1e-10):
    """backward() gives torch's gradients; a fused train_step() moves by lr times them."""
    grads = module.backward(params, module.forward(params, *data))
    moves = grads
    if hasattr(module, "train_step"):  # feed-forward modules; recurrent ones have none
        lr, stepped = 0.25, {k: np.array(v, dtype=float) for k, v in params.items()}
        module.train_step(stepped, *data, lr, {})
        moves = {k: (np.asarray(params[k]) - stepped[k]) / lr for k in params}
    for name, value in expected.items():
        scale = max(np.max(np.abs(value)), 1e-12)
        assert np.max(np.abs(grads[name] - value)) / scale < tolerance, name
        assert np.max(np.abs(moves[name] - value)) / scale < tolerance, name


CASES = [
    ([3, 4, 1], ["sigmoid", "sigmoid"], "half_sse", "sum"),
    ([5, 6, 3], ["tanh", "softmax"], "softmax_ce", "mean"),
    ([4, 3, 2], ["relu", "sigmoid"], "bce", "mean"),
    ([2, 5, 4, 3], ["softplus", "swish", "identity"], "mse", "mean"),
    ([3, 4, 4, 2], ["gelu", "leaky_relu", "tanh"], "sse", "sum"),
    ([3, 5, 4], ["tanh", "sigmoid"], "bce", "sample_mean"),
    ([3, 5, 4], ["tanh", "identity"], "half_sse", "mean"),
    ([4, 5, 3], ["tanh", "softmax"], "mse", "mean"),  # differentiated through its Jacobian
    ([4, 3, 3], ["relu", "softmax"], "half_sse", "sum"),
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("sizes", "activations", "loss", "reduction"), CASES)
def test_dense_networks_agree_with_torch_autograd(sizes, activations, loss, reduction, target):
    model = dense_network(sizes, activations, loss=loss, reduction=reduction)
    module = target_module(model, target)
    params = initial_params(module, 3)
    data = sample_data(model, np.random.default_rng(3))
    expected = torch_gradients(
        lambda p, X, Y: torch_dense_loss(p, X, Y, activations, loss, reduction), params, data
    )
    assert_agrees(module, params, data, expected)


@pytest.mark.parametrize("target", TARGETS)
def test_xor_agrees_with_torch_autograd(target):
    module = target_module(builtin("xor"), target)
    params = initial_params(module, 0)
    data = sample_data(builtin("xor"), np.random.default_rng(0))

    def xor_loss(p, X, y):
        layer_1 = torch.sigmoid(X @ p["synapse_0"])
        layer_2 = torch.sigmoid(layer_1 @ p["synapse_1"])
        return 0.5 * ((layer_2 - y) ** 2).sum()

    assert_agrees(module, params, data, torch_gradients(xor_loss, params, data))


@pytest.mark.parametrize("target", TARGETS)
def test_digits_agrees_with_torch_autograd_on_the_askers_cost_j(target):
    model = builtin("digits")
    module = target_module(model, target)
    params = initial_params(module, 0)
    X, Y = sample_data(model, np.random.default_rng(0))

    def cost_j(p, X, y):  # the asker's J = -(1/m) sum(y log H + (1 - y) log(1 - H))
        H = torch.sigmoid(torch.sigmoid(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
        return -(y * torch.log(H) + (1 - y) * torch.log(1 - H)).sum() / X.shape[0]

    assert_agrees(module, params, [X, Y], torch_gradients(cost_j, params, [X, Y]))


@pytest.mark.parametrize("target", TARGETS)
def test_tiny221_agrees_with_torch_autograd(target):
    model = builtin("tiny221")
    module = target_module(model, target)
    params = initial_params(module, 0)
    data = sample_data(model, np.random.default_rng(0))

    def net(p, x, y, t):  # the asker's Net, summed over the samples
        w, b = p["w"], p["b"]
        h1out = torch.sigmoid(x * w[0] + y * w[1] + b[0])
        h2out = torch.sigmoid(x * w[2] + y * w[3] + b[1])
        zout = torch.sigmoid(h1out * w[4] + h2out * w[5] + b[2])
        return (0.5 * (t - zout) ** 2).sum()

    assert_agrees(module, params, data, torch_gradients(net, params, data))


@pytest.mark.parametrize("target", TARGETS)
def test_torch_scalar_gradient_is_16_like_pytorch_says(target):
    module = target_module(builtin("torch-scalar"), target)
    x, y, w = torch.tensor(2.0, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64), None
    w = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    ((w * x - y) ** 2).backward()
    grads = module.backward(
        {"w": np.float64(3.0)}, module.forward({"w": np.float64(3.0)}, 2.0, 2.0)
    )
    assert grads["w"] == w.grad.item() == 16.0


# -- the reductions mean what PyTorch's losses mean ---------------------------------------------
FRAMEWORK_LOSSES = [
    ("mse", "identity", lambda z, a, Y, r: F.mse_loss(a, Y, reduction=r)),
    ("bce", "sigmoid", lambda z, a, Y, r: F.binary_cross_entropy_with_logits(z, Y, reduction=r)),
    ("softmax_ce", "softmax", lambda z, a, Y, r: F.cross_entropy(z, Y, reduction=r)),
    # integer labels, as nn.CrossEntropyLoss and nn.NLLLoss take them, against one-hot targets
    ("softmax_ce", "softmax", lambda z, a, Y, r: F.cross_entropy(z, Y.argmax(1), reduction=r)),
    (
        "softmax_ce",
        "softmax",
        lambda z, a, Y, r: F.nll_loss(F.log_softmax(z, 1), Y.argmax(1), reduction=r),
    ),
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("loss", "last", "framework"), FRAMEWORK_LOSSES)
def test_losses_and_reductions_are_pytorchs(loss, last, framework, reduction, target):
    """With K = 4 outputs, "mean" averages over every element as nn.MSELoss and
    nn.BCEWithLogitsLoss do (and over samples for cross-entropy, as nn.CrossEntropyLoss)."""
    model = dense_network([3, 5, 4], ["tanh", last], loss=loss, reduction=reduction)
    module = target_module(model, target)
    params = initial_params(module, 1)
    X, Y = sample_data(model, np.random.default_rng(1))
    if loss == "softmax_ce":  # one-hot rows, so that integer labels say the same
        Y = np.eye(4)[np.random.default_rng(2).integers(0, 4, len(X))]

    def torch_loss(p, X, Y):
        a = torch.tanh(X @ p["W1"] + p["b1"])
        z = a @ p["W2"] + p["b2"]
        output = torch.sigmoid(z) if last == "sigmoid" else z
        return framework(z, output, Y, reduction)

    leaves = {
        k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in params.items()
    }
    value = torch_loss(leaves, torch.tensor(X), torch.tensor(Y))
    assert module.loss(params, X, Y) == pytest.approx(value.item(), rel=1e-12)
    assert_agrees(module, params, [X, Y], torch_gradients(torch_loss, params, [X, Y]))


@pytest.mark.parametrize("target", TARGETS)
def test_a_softmax_module_takes_integer_labels_as_cross_entropy_does(target):
    """forward, loss, backward, train_step and train take class labels (m,) as well as one-hot
    rows, and agree with nn.CrossEntropyLoss given the same labels."""
    model = builtin("digits-softmax")
    module = target_module(model, target)
    params = initial_params(module, 4, "glorot")
    rng = np.random.default_rng(4)
    X, labels = rng.normal(size=(9, 64)), rng.integers(0, 10, 9)

    def torch_loss(p, X, y):
        hidden = torch.tanh(X @ p["W1"] + p["b1"])
        return F.cross_entropy(hidden @ p["W2"] + p["b2"], y.long())

    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    expected = torch_loss(leaves, torch.tensor(X), torch.tensor(labels))
    assert module.loss(params, X, labels) == pytest.approx(expected.item(), rel=1e-12)
    assert_agrees(module, params, [X, labels], torch_gradients(torch_loss, params, [X, labels]))
    fresh = lambda: {k: np.copy(v) for k, v in params.items()}  # noqa: E731 - train updates in place
    _, by_labels = module.train(fresh(), X, labels, epochs=3)
    _, by_rows = module.train(fresh(), X, np.eye(10)[labels], epochs=3)
    assert by_labels == pytest.approx(by_rows, rel=1e-12)
