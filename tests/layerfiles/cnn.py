"""A three-layer convolutional network, as a popular course's second assignment writes it:
conv - relu - 2x2 max pool - affine - relu - affine - softmax, its layers imported from the
files beside it, its sandwich layers written here."""

import numpy as np
from course_layers import *  # noqa: F403 - as the course imports its layers
from naive_layers import *  # noqa: F403


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    a, conv_cache = conv_forward_naive(x, w, b, conv_param)  # noqa: F405
    s, relu_cache = relu_forward(a)  # noqa: F405
    out, pool_cache = max_pool_forward_naive(s, pool_param)  # noqa: F405
    cache = (conv_cache, relu_cache, pool_cache)
    return out, cache


def conv_relu_pool_backward(dout, cache):
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_naive(dout, pool_cache)  # noqa: F405
    da = relu_backward(ds, relu_cache)  # noqa: F405
    dx, dw, db = conv_backward_naive(da, conv_cache)  # noqa: F405
    return dx, dw, db


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)  # noqa: F405
    out, relu_cache = relu_forward(a)  # noqa: F405
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)  # noqa: F405
    dx, dw, db = affine_backward(da, fc_cache)  # noqa: F405
    return dx, dw, db


class ThreeLayerConvNet(object):  # noqa: UP004 - as course code writes it
    def __init__(
        self,
        input_dim=(3, 32, 32),
        num_filters=32,
        filter_size=7,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
        dtype=np.float32,
    ):
        self.params = {}
        self.reg = reg
        self.dtype = dtype
        C, H, W = input_dim
        self.params["W1"] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)
        self.params["b1"] = np.zeros(num_filters)
        self.params["W2"] = weight_scale * np.random.randn(num_filters * H * W // 4, hidden_dim)
        self.params["b2"] = np.zeros(hidden_dim)
        self.params["W3"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b3"] = np.zeros(num_classes)
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]
        filter_size = W1.shape[2]
        conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        scores = None
        out1, cache1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        out2, cache2 = affine_relu_forward(out1, W2, b2)
        scores, cache3 = affine_forward(out2, W3, b3)  # noqa: F405
        if y is None:
            return scores
        loss, grads = 0, {}
        loss, dscores = softmax_loss(scores, y)  # noqa: F405
        loss += 0.5 * self.reg * (np.sum(W1**2) + np.sum(W2**2) + np.sum(W3**2))
        dout2, dW3, db3 = affine_backward(dscores, cache3)  # noqa: F405
        dout1, dW2, db2 = affine_relu_backward(dout2, cache2)
        dX, dW1, db1 = conv_relu_pool_backward(dout1, cache1)
        grads["W1"] = dW1 + self.reg * W1
        grads["b1"] = db1
        grads["W2"] = dW2 + self.reg * W2
        grads["b2"] = db2
        grads["W3"] = dW3 + self.reg * W3
        grads["b3"] = db3
        return loss, grads
