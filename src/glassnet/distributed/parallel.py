"""Synchronous data-parallel training: ``K`` processes, one global mini-batch, one sum.

The loop of :func:`glassnet.training.fit` runs on every rank ``r = 0 … K − 1`` with the
same data, options and seed; :class:`DataParallel` is what it adds there.

**The global batch.** The epoch's order is drawn from the same seed on every rank, so the
global mini-batches are exactly those one process makes (``batch_size`` is the global
``M``). Rank ``r`` reads only its shard of each: ``np.array_split`` of the batch's ``M``
rows into ``K`` consecutive parts (:func:`shard_bounds`), so
an uneven batch gives the first ``M mod K`` ranks one row more, and a rank may get none.

**The gradient.** The cost of a global batch is
``J = (1/M) Σ_{i ∈ batch} w_i ℓ_i + λ/(2M) Σ‖W‖² + λ₁/M Σ|W|``. It splits over the shards
``S_r`` as ``Σ_r [(1/M) Σ_{i ∈ S_r} w_i ℓ_i]`` plus the penalty, so rank ``r``
backpropagates its rows with the GLOBAL ``M`` (``δ^[L]/M``, not ``/m_r``), giving
``g_r = ∂/∂θ (1/M) Σ_{S_r} w_i ℓ_i``; one ``Allreduce(SUM)`` of the flat gradient buffer
makes ``Σ_r g_r``, the data part of ``∂J/∂θ`` on every rank, and every rank then adds
``(λ/M) W + (λ₁/M) sign(W)`` itself (the parameters are the same everywhere, so the sum
is too), clips and takes the optimizer's step: the same update on every rank, the one a
single process makes up to rounding (the sum's order). A rank without rows contributes
zeros. Sample and class weights enter ``w_i`` as in one process. The batch's data cost
travels in a second, 8-byte sum that is started before backpropagation and overlaps it;
when it is NaN or inf on any rank, every rank stops at the same step with the same error.

**Before the first step** the root's parameters and buffers are broadcast, and a seed of
``None`` becomes the root's fresh one, so every rank starts from one network and order.

**Randomness per rank.** Dropout must not draw the same masks on every rank. At the start
of each epoch, with ``k`` the first number a copy of the shuffling generator would draw
(``copy(rng).integers(2**63)``: the shuffle itself is untouched), the ``j``-th distinct
generator of the network's layers (in layer order; a built network's dropout layers share
one) is set on rank ``r`` to the state of
``SeedSequence(k).spawn(K)[r].spawn(n)[j]``, ``n`` the number of distinct generators.
Derived from the epoch, not carried across it, these streams need no checkpoint of their
own: a resumed run draws what the uninterrupted one drew. Augmentation, which draws
``default_rng(s)`` per epoch in one process, draws from ``SeedSequence(s).spawn(K)[r]``.

**Batch norm** normalizes each rank's shard with that shard's own mean and variance (as
PyTorch's DistributedDataParallel does by default), so a batch of ``M`` rows trains as
``K`` batches of about ``M/K`` rows would; each rank then needs 2 rows of every batch
(``batch_size ≥ 2K``, and a last batch of fewer than ``2K`` rows joins the one before).
Each rank updates its running mean and variance from its shards; at the end of every
epoch they are averaged over the ranks, so that validation and the saved model use one
set.

**The history** is global: each step's cost is the global batch's, the epoch's loss their
``M``-weighted mean, and the metric's running sums are added over the ranks at the end of
the epoch. Every rank evaluates the whole validation set, with the same parameters, so
early stopping and learning-rate schedules decide the same everywhere. ``seconds`` is the
root's.

**Failures.** An exception on one rank while training (a file that cannot be read, a
callback that fails) would leave the others waiting in the next sum forever: it ends
the job instead, with ``glassnet: error: rank r: message`` and ``MPI_Abort``. Divergence,
which every rank sees at the same step, is raised on each as usual.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend import Array, Flat, xp
from .communicator import Communicator

if TYPE_CHECKING:
    from ..training.trainable import Trainable


def shard_bounds(start: int, end: int, rank: int, size: int) -> tuple[int, int]:
    """Rank ``rank``'s part of the rows ``start … end − 1`` split over ``size`` ranks as
    ``np.array_split`` splits them: consecutive parts, the first ``(end − start) mod size``
    one row longer."""
    q, extra = divmod(end - start, size)
    first = start + rank * q + min(rank, extra)
    return first, first + q + (rank < extra)


class DataParallel:
    """The data-parallel part of training on the ranks of ``comm`` (see the module's
    docstring): the global batch's gradient, the per-rank random streams, the sums."""

    def __init__(self, comm: Communicator) -> None:
        self.comm = comm
        self.rank, self.size = comm.rank, comm.size
        self.batch_rows = 0
        """``M``: the rows of the global batch being trained on; the loop sets it per step."""
        self._cost = np.zeros(1)
        self._scratch: Array | None = None

    # -- before training ----------------------------------------------------------------

    def setup(self, network: Trainable, m: int, seed: int | None) -> int:
        """Check that every rank has ``m`` samples, agree on the seed, and give every rank
        the root's parameters and buffers. Returns the seed every rank uses."""
        counts = self.comm.gather(m)
        if len(set(counts)) > 1:
            raise ValueError(
                "every rank must pass the same training data, but the ranks have "
                f"{counts} samples (rank: samples {dict(enumerate(counts))})"
            )
        if seed is None:  # a fresh seed, drawn once, so that the global batches agree
            seed = int(np.random.SeedSequence().entropy) % 2**63  # type: ignore[arg-type]
        seed = int(self.comm.agree(seed))
        arrays = [array for _, array in network.parameters() + network.buffers()]
        self.comm.broadcast(arrays)
        return seed

    def shard(self, bounds: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        """This rank's ``(start, end)`` within each global batch of ``bounds``."""
        return [shard_bounds(start, end, self.rank, self.size) for start, end in bounds]

    # -- random streams -----------------------------------------------------------------

    def reseed(self, network: Trainable, rng: np.random.Generator) -> None:
        """At an epoch's start: give this rank's layers their own streams for the epoch,
        from the shuffling generator ``rng`` (read from a copy, left as it is)."""
        generators: list[np.random.Generator] = []
        for layer in network.layers:
            if layer.rng is not None and all(layer.rng is not g for g in generators):
                generators.append(layer.rng)
        if not generators:
            return
        key = int(copy.deepcopy(rng).integers(2**63))
        seeds = np.random.SeedSequence(key).spawn(self.size)[self.rank].spawn(len(generators))
        for generator, seed in zip(generators, seeds, strict=True):
            generator.bit_generator.state = type(generator.bit_generator)(seed).state

    def rank_rng(self, key: int | np.integer[Any]) -> np.random.Generator:
        """This rank's generator of an epoch whose one-process generator is seeded ``key``."""
        return np.random.default_rng(np.random.SeedSequence(int(key)).spawn(self.size)[self.rank])

    # -- one step -----------------------------------------------------------------------

    def gradients(
        self,
        network: Trainable,
        X: Array,
        Y: Array,
        sample_weight: Array | None,
        grads: Sequence[Array],
        flat: Flat,
    ) -> float:
        """Forward and backward on this rank's rows ``X`` (``(m_r, …)``, maybe none) of a
        global batch of :attr:`batch_rows`; leaves ``∂J/∂θ`` of the global batch in
        ``grads`` on every rank and returns the global batch's ``J``."""
        M = self.batch_rows
        assert M > 0, "batch_rows is set before each step"
        data = 0.0
        if X.shape[0]:
            network.forward(X, training=True)
            losses = network.per_sample_loss(Y)
            data = float(losses.sum() if sample_weight is None else xp.vdot(losses, sample_weight))
        self._cost[0] = data / M
        pending = self.comm.start_sum(self._cost)  # overlaps the backward pass
        if X.shape[0]:
            network.backward(Y, sample_weight, m=M, regularize=False)
        else:
            for grad in grads:
                grad[...] = 0
        self._sum(grads, flat)
        pending.wait()
        network.regularize_gradients(M)
        return float(self._cost[0]) + network.penalty(M)

    def _sum(self, grads: Sequence[Array], flat: Flat) -> None:
        """``grads ← Σ_ranks grads`` in one ``Allreduce``: on the network's flat gradient
        buffer when every gradient is a view of it, else on a copy into one buffer."""
        if flat is not None and all(grad.base is flat[1] for grad in grads):
            self.comm.allreduce_sum(flat[1])
            return
        size = sum(int(grad.size) for grad in grads)
        if self._scratch is None or self._scratch.size != size:
            self._scratch = xp.empty(size, dtype=grads[0].dtype)
        buffer, start = self._scratch, 0
        for grad in grads:
            buffer[start : start + grad.size] = grad.ravel()
            start += grad.size
        self.comm.allreduce_sum(buffer)
        start = 0
        for grad in grads:
            grad[...] = buffer[start : start + grad.size].reshape(grad.shape)
            start += grad.size

    # -- after an epoch -----------------------------------------------------------------

    def end_epoch(self, network: Trainable, totals: Sequence[float]) -> list[float]:
        """``totals`` (the metric's running sums) added over the ranks; the running
        statistics of batch norm averaged over them, in place."""
        sums = self.comm.allreduce_sum(np.array(totals, dtype=np.float64))
        buffers = [array for _, array in network.buffers()]
        if buffers:
            flat = self.comm.allreduce_sum(np.concatenate([b.ravel() for b in buffers]))
            flat /= self.size
            start = 0
            for array in buffers:
                array[...] = flat[start : start + array.size].reshape(array.shape)
                start += array.size
        return [float(value) for value in sums]

    def agree(self, value: Any) -> Any:
        """The root's ``value`` on every rank."""
        return self.comm.agree(value)

    @contextmanager
    def guard(self, collective: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
        """End the whole job when the block raises on this rank (the others would wait for
        it forever), unless the exception is one of ``collective``: raised by every rank
        at the same point, it is left to the caller."""
        try:
            yield
        except collective:
            raise
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                message = "interrupted"
            else:
                message = str(exc) or type(exc).__name__
            self.comm.abort(message)


__all__ = ["DataParallel"]
