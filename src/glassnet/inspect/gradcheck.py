"""Gradient checking: backpropagation's gradients against central finite differences.

For every parameter θ the numerical derivative is

    ∂J/∂θ ≈ (J(θ + ε) − J(θ − ε)) / (2ε)

and each parameter array gets the relative error ``‖g − g_num‖ / (‖g‖ + ‖g_num‖)``.
In float64 a correct backward pass gives errors around 1e-9 or below; above 1e-5 almost
always means a bug.

Each entry costs two forward passes, so a large array (a 700 × 700 ``W`` has 490,000
entries) is checked on :data:`DEFAULT_MAX_ENTRIES` entries chosen at random, unless
``max_entries`` says otherwise: a wrong gradient is almost never right on a random sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import Array, xp
from ..validation import check_integer, check_positive_number, check_sample_weight, shown

DEFAULT_MAX_ENTRIES = 1_000
"""Entries checked per array unless ``max_entries`` says otherwise (chosen at random,
seeded): about two thousand forward passes per array, seconds even for a large network."""

if TYPE_CHECKING:
    from ..network import Network


@dataclass(frozen=True)
class ArrayCheck:
    """The comparison for one parameter array."""

    name: str
    shape: tuple[int, ...]
    relative_error: float
    max_abs_difference: float
    checked: int
    """How many entries were perturbed (all of them up to ``max_entries``)."""
    size: int = 0
    """How many entries the array has."""

    @property
    def entries(self) -> str:
        """``'12'`` when every entry was checked, else ``'1,000 of 490,000'``."""
        if self.checked == self.size:
            return f"{self.checked:,}"
        return f"{self.checked:,} of {self.size:,}"


@dataclass(frozen=True)
class GradientCheck:
    """The result of :func:`gradient_check`: one :class:`ArrayCheck` per parameter array."""

    arrays: list[ArrayCheck]
    epsilon: float
    threshold: float

    @property
    def max_relative_error(self) -> float:
        return max(check.relative_error for check in self.arrays)

    @property
    def passed(self) -> bool:
        return self.max_relative_error < self.threshold

    def __str__(self) -> str:
        # Parameter names come from the layers (W1, gamma2, …): the column fits the longest.
        width = max([6, *(len(c.name) for c in self.arrays)])
        lines = [
            f"{'array':<{width}} {'shape':<12} {'relative error':>15} {'max |diff|':>11}  checked"
        ]
        for c in self.arrays:
            lines.append(
                f"{c.name:<{width}} {c.shape!s:<12} {c.relative_error:>15.3e} "
                f"{c.max_abs_difference:>11.3e}  {c.entries}"
            )
        verdict = "PASS" if self.passed else "FAIL"
        lines.append(
            f"{verdict}: largest relative error {self.max_relative_error:.3e} "
            f"(threshold {self.threshold:g}, ε = {self.epsilon:g})"
        )
        return "\n".join(lines)


def check_settings(
    epsilon: Any, threshold: Any, max_entries: Any, names: tuple[str, str, str] | None = None
) -> tuple[float, float, int | None]:
    """``epsilon`` and ``threshold`` in (0, 1) and ``max_entries`` ≥ 1 (or None), else an
    error naming the argument (or its flag, in ``names``).

    ε is a small step: at 0 the difference divides by zero, and from 1 on it measures the
    cost far from θ. The relative error is at most 1, so a threshold of 1 passes anything;
    a max_entries of 0 would check nothing and call it a pass.
    """
    name_eps, name_threshold, name_max = names or ("epsilon", "threshold", "max_entries")
    checked = []
    for name, value, hint in (
        (name_eps, epsilon, "a small step such as 1e-6"),
        (name_threshold, threshold, "the relative error is at most 1; the default is 1e-7"),
    ):
        try:
            number = check_positive_number(name, value)  # a TypeError for a non-number
        except ValueError:
            number = math.nan
        if not 0 < number < 1:
            raise ValueError(f"{name} must be a number in (0, 1) ({hint}), got {shown(value)}")
        checked.append(number)
    count = None if max_entries is None else check_integer(name_max, max_entries, low=1)
    return checked[0], checked[1], count


def sampling(network: Network, max_entries: int | None) -> list[tuple[str, int, int]]:
    """``(name, checked, size)`` of each parameter array: how many of its entries a check
    with ``max_entries`` perturbs, of how many."""
    return [
        (name, theta.size if max_entries is None else min(theta.size, max_entries), theta.size)
        for name, theta in network.parameters()
    ]


def gradient_check(
    network: Network,
    X: Any,
    y: Any,
    *,
    sample_weight: Any = None,
    training: bool = True,
    epsilon: float = 1e-6,
    threshold: float = 1e-7,
    max_entries: int | None = DEFAULT_MAX_ENTRIES,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> GradientCheck:
    """Compare backpropagation's ``∂J/∂θ`` with central differences, in float64.

    The network is copied to float64 first, so the check never changes ``network``.
    ``J`` is the full regularized cost on all of ``(X, y)``, so the L1/L2 terms and the
    sample weights are checked too. With ``training=True`` (the default) the forward pass
    is the training one: batch norm uses the batch's statistics, and each dropout layer
    draws one mask and keeps it for the whole check, so that ``J`` is a fixed function.

    Parameters
    ----------
    X, y:
        The data, ``(m, n_0)`` and targets as :meth:`Network.fit` takes them.
    epsilon:
        The step ``ε`` of the central difference.
    threshold:
        The largest relative error that passes, in (0, 1).
    max_entries:
        Check at most this many entries per array (≥ 1; default
        :data:`DEFAULT_MAX_ENTRIES`), chosen at random with ``seed``; ``None`` checks
        every entry. Each entry costs two forward passes.
    progress:
        Called with 1 after each entry is checked (a progress bar's ``update``).
    """
    epsilon, threshold, max_entries = check_settings(epsilon, threshold, max_entries)
    seed = check_integer("seed", seed, low=0)
    net = network.astype("float64").to("cpu")  # on the host: a device's copy is checked there
    X64 = net.check_X(X)
    m = X64.shape[0]
    Y64 = net.check_y(y, m)
    w = None if sample_weight is None else check_sample_weight(sample_weight, m, net.dtype)
    rng = np.random.default_rng(seed)
    if training:
        net.fix_randomness(rng)  # each dropout layer keeps one mask: J is a fixed function

    def cost() -> float:
        net.forward(X64, training=training)
        return net.cost(Y64, w)

    J0 = cost()
    net.backward(Y64, w)
    analytic = [(name, grad.copy()) for name, grad in net.gradients()]

    results = []
    for (name, theta), (_, g) in zip(net.parameters(), analytic, strict=True):
        flat_theta = theta.reshape(-1)
        indices = np.arange(flat_theta.size)
        if max_entries is not None and flat_theta.size > max_entries:
            indices = np.sort(rng.choice(flat_theta.size, max_entries, replace=False))
        numeric = xp.zeros(indices.size)
        for k, i in enumerate(indices):
            original = float(flat_theta[i])
            flat_theta[i] = original + epsilon
            plus = cost()
            flat_theta[i] = original - epsilon
            minus = cost()
            flat_theta[i] = original
            numeric[k] = (plus - minus) / (2 * epsilon)
            if progress is not None:
                progress(1)
        noise = 10 * float(np.finfo(np.float64).eps) * max(1.0, abs(J0)) / epsilon
        noise *= float(np.sqrt(indices.size))
        results.append(_compare(name, theta.shape, g.reshape(-1)[indices], numeric, noise))
    return GradientCheck(results, epsilon, threshold)


def _compare(name: str, shape: tuple[int, ...], g: Array, g_num: Array, noise: float) -> ArrayCheck:
    """Relative error of one array; 0 when both gradients are zero up to rounding.

    A central difference carries rounding noise of about ``ε_mach |J| / ε`` per entry, so
    an array whose true gradient is exactly zero (a bias feeding batch norm, a dead unit)
    shows ``‖g_num‖`` of that size and a meaningless ratio of noise to noise.
    """
    difference = float(xp.linalg.norm(g - g_num))
    norm_g, norm_num = float(xp.linalg.norm(g)), float(xp.linalg.norm(g_num))
    zero = norm_g < noise and norm_num < noise
    relative = 0.0 if zero or difference == 0 else difference / (norm_g + norm_num)
    max_abs = float(xp.max(xp.abs(g - g_num))) if g.size else 0.0
    return ArrayCheck(name, tuple(shape), relative, max_abs, int(g.size), int(np.prod(shape)))
