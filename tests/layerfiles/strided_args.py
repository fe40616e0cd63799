"""Convolution and max pooling taking stride and padding as numbers, looping over output
positions only (every sample and channel at once, with np.tensordot): a third course style."""

import numpy as np


def conv_forward(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0,), (0,), (pad,), (pad,)), "constant")
    Ho = int(1 + (H + 2 * pad - HH) / stride)
    Wo = int(1 + (W + 2 * pad - WW) / stride)
    out = np.zeros((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, stride, pad)


def conv_backward(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0,), (0,), (pad,), (pad,)), "constant")
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            patch = xp[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
            dw += np.tensordot(dout[:, :, i, j], patch, axes=([0], [0]))
            dxp[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW] += np.tensordot(
                dout[:, :, i, j], w, axes=([1], [0])
            )
    dx = dxp[:, :, pad : pad + H, pad : pad + W]
    return dx, dw, db


def max_pool_forward(x, pool_size, stride):
    N, C, H, W = x.shape
    Ho = (H - pool_size) // stride + 1
    Wo = (W - pool_size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[
                :, :, i * stride : i * stride + pool_size, j * stride : j * stride + pool_size
            ].max(axis=(2, 3))
    return out, (x, pool_size, stride)


def max_pool_backward(dout, cache):
    x, pool_size, stride = cache
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            win = x[:, :, i * stride : i * stride + pool_size, j * stride : j * stride + pool_size]
            m = win == win.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * stride : i * stride + pool_size, j * stride : j * stride + pool_size] += (
                m * dout[:, :, i : i + 1, j : j + 1]
            )
    return dx
