"""A fully connected network of any depth, as a popular course's second assignment writes it:
its layers imported from the file beside it, weights under keys made in loops, batch or layer
normalisation and dropout chosen when it is made, L2 regularisation in the loss."""

import numpy as np
from course_layers import *  # noqa: F403 - as the course imports its layers


class FullyConnectedNet(object):  # noqa: UP004 - as course code writes it
    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        dims = [input_dim] + hidden_dims + [num_classes]
        for i in range(self.num_layers):
            self.params["W" + str(i + 1)] = np.random.randn(dims[i], dims[i + 1]) * weight_scale
            self.params["b" + str(i + 1)] = np.zeros(dims[i + 1])
            if self.normalization is not None and i < self.num_layers - 1:
                self.params["gamma" + str(i + 1)] = np.ones(dims[i + 1])
                self.params["beta" + str(i + 1)] = np.zeros(dims[i + 1])
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if self.normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for i in range(self.num_layers - 1)]
        if self.normalization == "layernorm":
            self.bn_params = [{} for i in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        if self.normalization == "batchnorm":
            for bn_param in self.bn_params:
                bn_param["mode"] = mode
        scores = None
        caches = []
        out = X
        for i in range(self.num_layers - 1):
            W, b = self.params["W" + str(i + 1)], self.params["b" + str(i + 1)]
            out, fc_cache = affine_forward(out, W, b)  # noqa: F405
            norm_cache = None
            if self.normalization == "batchnorm":
                gamma, beta = self.params["gamma" + str(i + 1)], self.params["beta" + str(i + 1)]
                out, norm_cache = batchnorm_forward(out, gamma, beta, self.bn_params[i])  # noqa: F405
            elif self.normalization == "layernorm":
                gamma, beta = self.params["gamma" + str(i + 1)], self.params["beta" + str(i + 1)]
                out, norm_cache = layernorm_forward(out, gamma, beta, self.bn_params[i])  # noqa: F405
            out, relu_cache = relu_forward(out)  # noqa: F405
            drop_cache = None
            if self.use_dropout:
                out, drop_cache = dropout_forward(out, self.dropout_param)  # noqa: F405
            caches.append((fc_cache, norm_cache, relu_cache, drop_cache))
        W, b = self.params["W" + str(self.num_layers)], self.params["b" + str(self.num_layers)]
        scores, last_cache = affine_forward(out, W, b)  # noqa: F405
        if mode == "test":
            return scores
        loss, grads = 0.0, {}
        loss, dscores = softmax_loss(scores, y)  # noqa: F405
        for i in range(self.num_layers):
            W = self.params["W" + str(i + 1)]
            loss += 0.5 * self.reg * np.sum(W * W)
        dout, dW, db = affine_backward(dscores, last_cache)  # noqa: F405
        grads["W" + str(self.num_layers)] = dW + self.reg * self.params["W" + str(self.num_layers)]
        grads["b" + str(self.num_layers)] = db
        for i in range(self.num_layers - 2, -1, -1):
            fc_cache, norm_cache, relu_cache, drop_cache = caches[i]
            if self.use_dropout:
                dout = dropout_backward(dout, drop_cache)  # noqa: F405
            dout = relu_backward(dout, relu_cache)  # noqa: F405
            if self.normalization == "batchnorm":
                dout, dgamma, dbeta = batchnorm_backward(dout, norm_cache)  # noqa: F405
                grads["gamma" + str(i + 1)] = dgamma
                grads["beta" + str(i + 1)] = dbeta
            elif self.normalization == "layernorm":
                dout, dgamma, dbeta = layernorm_backward(dout, norm_cache)  # noqa: F405
                grads["gamma" + str(i + 1)] = dgamma
                grads["beta" + str(i + 1)] = dbeta
            dout, dW, db = affine_backward(dout, fc_cache)  # noqa: F405
            grads["W" + str(i + 1)] = dW + self.reg * self.params["W" + str(i + 1)]
            grads["b" + str(i + 1)] = db
        return loss, grads
