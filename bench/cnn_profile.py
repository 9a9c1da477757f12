"""Where a glassnet training step spends its time, layer by layer and stage by stage.

:func:`stage_times` wraps, on one network, each layer's ``forward`` and ``backward`` and,
inside the convolutions, the im2col and col2im of :mod:`glassnet.layers.windows` and the
activation's two passes, then trains and divides each stage's seconds by the steps. The
wrappers cost a few microseconds a call, so the figures add up to slightly more than the
unwrapped step. What a convolution's forward or backward spends outside the stages named
is its matrix products, the bias and the record.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

import glassnet as gn
from glassnet.layers import conv2d


def stage_times(
    net: gn.Network, X: np.ndarray, y: np.ndarray, **fit_options: Any
) -> dict[str, float]:
    """Milliseconds per training step of each layer's passes and each conv stage, for one
    ``net.fit(X, y, epochs=1, **fit_options)``; ``"step"`` is the whole step unwrapped
    (fit's own work, the loss and the update included)."""
    steps = -(-X.shape[0] // fit_options["batch_size"])
    start = time.perf_counter()
    net.fit(X, y, epochs=1, **fit_options)
    step = (time.perf_counter() - start) / steps
    seconds: defaultdict[str, float] = defaultdict(float)
    with _wrapped(net, seconds):
        net.fit(X, y, epochs=1, **fit_options)
    times = {name: 1e3 * total / steps for name, total in seconds.items()}
    return {"step": 1e3 * step, **times}


@contextmanager
def _wrapped(net: gn.Network, seconds: defaultdict[str, float]) -> Iterator[None]:
    """Time every call of the stages into ``seconds`` while the block runs."""
    undo: list[Callable[[], None]] = []

    def timed(owner: Any, attribute: str, name: str) -> None:
        original = getattr(owner, attribute)

        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[name] += time.perf_counter() - start

        setattr(owner, attribute, run)
        undo.append(lambda: setattr(owner, attribute, original))

    for l, layer in enumerate(net.layers, start=1):
        label = f"{l} {type(layer).__name__}"
        timed(layer, "forward", f"{label} forward")
        timed(layer, "backward", f"{label} backward")
        if isinstance(layer, conv2d.Conv2D):
            timed(layer.activation, "forward", f"  {label} activation forward")
            timed(layer.activation, "backward", f"  {label} activation backward")
    timed(conv2d, "pad", "  conv: pad (layout copy)")
    timed(conv2d, "im2col", "  conv: im2col")
    timed(conv2d, "col2im", "  conv: col2im")
    try:
        yield
    finally:
        for restore in reversed(undo):
            restore()


def format_stages(times: dict[str, float]) -> list[str]:
    """One line per stage: milliseconds per step and the share of the step."""
    step = times["step"]
    lines = [f"  step (unwrapped): {step:.2f} ms"]
    for name, ms in times.items():
        if name != "step":
            lines.append(f"  {name:<40} {ms:7.3f} ms  {100 * ms / step:5.1f} %")
    return lines
