"""The ONNX nodes of the layers of a convolutional network: convolution, pooling, batch
norm over channels. :mod:`glassnet.io.onnx` walks the network and calls these; each
takes the name of its input ``A^[l−1]`` ``(batch, C, H, W)`` and writes its output.

In float32 each layer is the ONNX operator of the same name:

- :class:`~glassnet.layers.Conv2D` is ``Conv`` with ``W`` ``(F, C, kh, kw)`` and ``b``
  ``(F,)`` as initializers (the layouts are the same), ``strides`` and symmetric
  ``pads``; its activation follows as a node of its own;
- :class:`~glassnet.layers.MaxPool2D` is ``MaxPool`` and :class:`~glassnet.layers.AvgPool2D`
  ``AveragePool``, with ``kernel_shape`` and ``strides`` and no padding, whose floor of
  the output size (``ceil_mode=0``) is glassnet's;
- :class:`~glassnet.layers.BatchNorm2D` is folded into the convolution below it when
  that convolution's activation is the identity (``Z' = s ⊙ (W ∗ a + b − μ) + β``, so
  ``W'[f] = s_f W[f]`` and ``b' = s ⊙ (b − μ) + β`` with ``s = γ / √(σ² + ε)``, computed in
  float64). Otherwise (glassnet's ``bn`` puts it after the activation, which is not
  affine) it is ``BatchNormalization`` in inference mode with the running statistics:
  one node, with float and double kernels in ONNX Runtime, computing ``(x − μ) /
  √(σ² + ε) · γ + β`` as glassnet does, where a ``Mul`` and an ``Add`` would need the
  scale and shift precomputed and round differently.

ONNX Runtime's CPU provider has no double kernels for ``Conv`` and ``AveragePool``, so in
a float64 network both are written out with operators it does run in double, the way
:mod:`glassnet.layers.windows` computes them: offset ``(u, v)`` of every window is one
strided ``Slice`` of the (padded) input, ``(batch, C, Ho, Wo)``. The average is the sum
of the ``p·q`` slices times ``1/(pq)``; the convolution concatenates its ``kh·kw``
slices into ``(batch, kh·kw·C, Ho·Wo)`` (im2col, offset-major) and multiplies it by
``W`` laid out to match, ``(F, kh·kw·C)``, then adds ``b``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from ..layers import AvgPool2D, BatchNorm2D, Conv2D, Dropout, Layer, MaxPool2D
from .onnx_graph import Graph

__all__ = ["batch_norm2d", "conv2d", "folded_conv_parameters", "folded_norms", "pool2d"]


def conv2d(
    graph: Graph, layer: Conv2D, name: str, A_prev: str, Z: str, norm: BatchNorm2D | None
) -> str:
    """``Z = W ∗ A_prev + b`` (with ``norm`` folded into ``W`` and ``b``) as the tensor
    ``Z``; ``name`` prefixes the layer's initializers (``conv1`` → ``conv1.W``)."""
    W, b = folded_conv_parameters(layer, norm)
    if graph.dtype != np.float64:
        (ph, pw), (sh, sw) = layer.padding, layer.stride
        inputs = [A_prev, graph.constant(f"{name}.W", W), graph.constant(f"{name}.b", b)]
        return graph.node(
            "Conv",
            inputs,
            Z,
            kernel_shape=list(layer.kernel_size),
            strides=[sh, sw],
            pads=[ph, pw, ph, pw],
        )
    F, C, kh, kw = W.shape
    padded = A_prev
    if layer.padding != (0, 0):
        ph, pw = layer.padding
        pads = graph.constant(f"{name}.pads", [0, 0, ph, pw, 0, 0, ph, pw], np.int64)
        padded = graph.node("Pad", [A_prev, pads], f"{name}.A_prev_padded")
    _, H, Wd = layer.input_shape
    size = (H + 2 * layer.padding[0], Wd + 2 * layer.padding[1])
    _, Ho, Wo = layer.output_shape
    entries = _window_entries(graph, name, padded, size, (kh, kw), layer.stride)
    stacked = graph.node("Concat", entries, f"{name}.cols4", axis=1)  # (batch, kh·kw·C, Ho, Wo)
    cols = graph.node(
        "Reshape", [stacked, _shape(graph, name, "cols", [0, -1, Ho * Wo])], f"{name}.cols"
    )
    # Row (u·kw + v)·C + c of cols is channel c at offset (u, v): W's columns in that order.
    W_mat = graph.constant(f"{name}.W_mat", W.transpose(0, 2, 3, 1).reshape(F, kh * kw * C))
    product = graph.node("MatMul", [W_mat, cols], f"{name}.W_cols")  # (batch, F, Ho·Wo)
    Z_flat = graph.node("Add", [product, graph.constant(f"{name}.b", b[:, None])], f"{name}.Z_flat")
    return graph.node("Reshape", [Z_flat, _shape(graph, name, "Z", [0, F, Ho, Wo])], Z)


def folded_norms(layers: Sequence[Layer]) -> dict[int, BatchNorm2D]:
    """The BatchNorm2D layers that directly follow (dropout aside) a Conv2D whose
    activation is the identity, by that Conv2D's id: batch norm of an affine ``Z`` is
    affine, so it is folded into that convolution's ``W`` and ``b``."""
    kept = [layer for layer in layers if not isinstance(layer, Dropout)]
    return {
        id(below): above
        for below, above in itertools.pairwise(kept)
        if isinstance(below, Conv2D)
        and below.activation.name == "identity"
        and isinstance(above, BatchNorm2D)
    }


def folded_conv_parameters(
    layer: Conv2D, norm: BatchNorm2D | None
) -> tuple[np.ndarray, np.ndarray]:
    """``W'[f] = s_f W[f]`` and ``b' = s ⊙ (b − μ) + β`` with ``s = γ / √(σ² + ε)``, in
    float64; ``W`` and ``b`` themselves without ``norm``."""
    W, b = np.asarray(layer.W, dtype=np.float64), np.asarray(layer.b, dtype=np.float64)
    if norm is None:
        return W, b
    gamma, beta, mean, var = (
        np.asarray(array, dtype=np.float64)
        for array in (
            norm.norm.gamma,
            norm.norm.beta,
            norm.norm.running_mean,
            norm.norm.running_var,
        )
    )
    s = gamma / np.sqrt(var + norm.epsilon)
    return W * s[:, None, None, None], s * (b - mean) + beta


def pool2d(graph: Graph, layer: MaxPool2D | AvgPool2D, name: str, A_prev: str) -> str:
    """``A`` = the max or the mean of each window; returns ``name + ".A"``."""
    A = f"{name}.A"
    kernel, stride = list(layer.pool_size), list(layer.stride)
    if isinstance(layer, MaxPool2D):
        return graph.node("MaxPool", [A_prev], A, kernel_shape=kernel, strides=stride)
    if graph.dtype != np.float64:
        return graph.node("AveragePool", [A_prev], A, kernel_shape=kernel, strides=stride)
    _, H, W = layer.input_shape
    entries = _window_entries(graph, name, A_prev, (H, W), layer.pool_size, layer.stride)
    total = graph.node("Sum", entries, f"{name}.sum")
    p, q = layer.pool_size
    return graph.node("Mul", [total, graph.scalar(1 / (p * q))], A)


def batch_norm2d(graph: Graph, layer: BatchNorm2D, name: str, A_prev: str) -> str:
    """``γ (x − μ) / √(σ² + ε) + β`` per channel with the running statistics, as one
    ``BatchNormalization`` node in inference mode; returns ``name + ".A"``."""
    norm = layer.norm
    arrays = [
        graph.constant(f"{name}.{key}", array)
        for key, array in (
            ("gamma", norm.gamma),
            ("beta", norm.beta),
            ("running_mean", norm.running_mean),
            ("running_var", norm.running_var),
        )
    ]
    return graph.node(
        "BatchNormalization", [A_prev, *arrays], f"{name}.A", epsilon=float(norm.epsilon)
    )


def _window_entries(
    graph: Graph,
    name: str,
    A: str,
    size: tuple[int, int],
    window: tuple[int, int],
    stride: tuple[int, int],
) -> list[str]:
    """Entry ``(u, v)`` of every window of ``A`` (``(batch, C, *size)``), one strided
    ``Slice`` ``A[:, :, u : u + s(Ho − 1) + 1 : s, v : v + t(Wo − 1) + 1 : t]`` per offset,
    in row-major order of the window."""
    (p, q), (s, t) = window, stride
    Ho, Wo = (size[0] - p) // s + 1, (size[1] - q) // t + 1
    axes = graph.constant(f"{name}.axes", [2, 3], np.int64)
    steps = graph.constant(f"{name}.steps", [s, t], np.int64)
    entries = []
    for u in range(p):
        for v in range(q):
            starts = graph.constant(f"{name}.start{u}_{v}", [u, v], np.int64)
            ends = graph.constant(
                f"{name}.end{u}_{v}", [u + s * (Ho - 1) + 1, v + t * (Wo - 1) + 1], np.int64
            )
            entries.append(
                graph.node("Slice", [A, starts, ends, axes, steps], f"{name}.window{u}_{v}")
            )
    return entries


def _shape(graph: Graph, name: str, what: str, dims: list[int]) -> str:
    return graph.constant(f"{name}.{what}_shape", dims, np.int64)
