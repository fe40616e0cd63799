"""A two-layer network as a popular course's first assignment writes it: the regularisation
strength an argument of ``loss`` (the penalty ``reg * sum(W * W)``, so its gradient is
``2 * reg * W``), the ReLU's mask written in place, and a training loop and a predictor
beside it."""

from builtins import object, range  # noqa: F401, UP029 - as the course writes it

import numpy as np


class TwoLayerNet(object):  # noqa: UP004 - as course code writes it
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {}
        self.params["W1"] = std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N, D = X.shape
        scores = None
        h1 = np.maximum(0, X.dot(W1) + b1)
        scores = h1.dot(W2) + b2
        if y is None:
            return scores
        loss = None
        scores -= np.max(scores, axis=1, keepdims=True)
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        loss = -np.sum(np.log(probs[np.arange(N), y])) / N
        loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {}
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads["W2"] = h1.T.dot(dscores) + 2 * reg * W2
        grads["b2"] = np.sum(dscores, axis=0)
        dh1 = dscores.dot(W2.T)
        dh1[h1 <= 0] = 0
        grads["W1"] = X.T.dot(dh1) + 2 * reg * W1
        grads["b1"] = np.sum(dh1, axis=0)
        return loss, grads

    def train(
        self,
        X,
        y,
        X_val,
        y_val,
        learning_rate=1e-3,
        learning_rate_decay=0.95,
        reg=5e-6,
        num_iters=100,
        batch_size=200,
        verbose=False,
    ):
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train / batch_size, 1)  # noqa: F841
        loss_history = []
        for it in range(num_iters):
            idx = np.random.choice(num_train, batch_size, replace=True)
            X_batch = X[idx]
            y_batch = y[idx]
            loss, grads = self.loss(X_batch, y=y_batch, reg=reg)
            loss_history.append(loss)
            for param in self.params:
                self.params[param] -= learning_rate * grads[param]
            if verbose and it % 100 == 0:
                print("iteration %d / %d: loss %f" % (it, num_iters, loss))
        return {"loss_history": loss_history}

    def predict(self, X):
        y_pred = None
        scores = self.loss(X)
        y_pred = np.argmax(scores, axis=1)
        return y_pred
