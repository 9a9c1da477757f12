"""From the network's output ``A^[L]`` to what a user reads, as ONNX nodes: class labels and
probabilities, or values in the target's units (what ``Model.predict`` and
``Model.predict_proba`` compute in glassnet, see :mod:`glassnet.tabular.outputs`).

A classifier gives two outputs:

- ``label``, ``(batch,)``: the class of each row, ``argmax`` of the softmax, or the second
  class where the sigmoid is at least 0.5; for ``k`` yes/no targets ``(batch, k)``;
- ``probabilities``, ``(batch, K)`` in the network's dtype: the softmax itself, or
  ``[1 − a, a]`` for one sigmoid output (two columns, as scikit-learn gives them); for
  ``k`` yes/no targets ``(batch, k)``, ``P(second class)`` of each.

The labels keep the type ``Model.predict`` gives them (``labels="own"``): int64 for
integer classes, float64 for numbers that are not all whole, bool for booleans, strings
for text; several targets whose labels differ in type give strings, as ``glassnet
predict`` writes them (``str`` of each). ``labels="sklearn"`` follows sklearn-onnx
instead (what its ``ZipMap`` takes): int64 for integers, booleans and whole numbers,
strings for the rest; and the label is then the class of the largest probability, as a
scikit-learn classifier's ``predict`` takes it.

A regressor gives ``values``, ``(batch,)`` (``(batch, k)`` for ``k`` targets), float64:
the network learns the target standardized, so ``y = a · std + mean``, computed in
float64 as glassnet computes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..losses import BinaryCrossEntropy, CategoricalCrossEntropy, Loss
from .onnx_graph import Graph

if TYPE_CHECKING:
    import onnx

LabelTypes = Literal["own", "sklearn"]
LABEL = "label"
PROBABILITIES = "probabilities"
VALUES = "values"


@dataclass(frozen=True)
class Output:
    """A graph output: its name, element type (NumPy's) and shape after ``batch``."""

    name: str
    dtype: np.dtype[Any]
    shape: tuple[int, ...] = ()

    def value_info(self) -> onnx.ValueInfoProto:
        import onnx.helper

        elem = (
            onnx.TensorProto.STRING
            if self.dtype == np.dtype(object)
            else onnx.helper.np_dtype_to_tensor_dtype(self.dtype)
        )
        return onnx.helper.make_tensor_value_info(self.name, elem, ["batch", *self.shape])


def add_outputs(
    graph: Graph,
    A: str,
    loss: Loss,
    n_outputs: int,
    classes: Sequence[Any] | None,
    target_scale: tuple[Any, Any] | None,
    *,
    names: Sequence[str] | None = None,
    labels: LabelTypes = "own",
    dtype: Any = None,
) -> list[Output]:
    """Append the nodes from ``A`` ``(batch, n_outputs)`` to the outputs (see the module):
    ``[label, probabilities]`` for a classifier, ``[values]`` for a regressor, named
    ``names`` when given. ``classes``: the labels, or one list of labels per yes/no
    target. ``dtype``: of the probabilities or values, when not those of the module."""
    if not loss.is_classification:
        (name,) = names or [VALUES]
        return [_values(graph, A, n_outputs, target_scale, name, dtype)]
    if classes is None:
        raise ValueError("a classifier's ONNX outputs need its classes; the model has none")
    label_name, proba_name = names or [LABEL, PROBABILITIES]
    several = _per_target(classes)
    if not isinstance(loss, CategoricalCrossEntropy | BinaryCrossEntropy):
        raise NotImplementedError(
            f"a classifier with the loss {type(loss).__name__} ({loss.name!r}) cannot be "
            "exported to ONNX: only softmax with cce and sigmoid with bce can"
        )
    proba = A
    if isinstance(loss, BinaryCrossEntropy) and n_outputs == 1:
        # One sigmoid: [P(class 0), P(class 1)] = [1 − a, a], as BinaryCrossEntropy gives them.
        no = graph.node("Sub", [graph.scalar(1.0), A], "output.no")
        proba = graph.node("Concat", [no, A], "output.proba", axis=1)
    if isinstance(loss, BinaryCrossEntropy) and (several or labels == "own"):
        # 0/1 per output by the 0.5 threshold of BinaryCrossEntropy.decide.
        yes = graph.node("GreaterOrEqual", [A, graph.scalar(0.5)], "output.yes")
        index = graph.node("Cast", [yes], "output.yes_no", to=_tensor_type(np.dtype(np.int64)))
        if n_outputs == 1:
            index = graph.node("Reshape", [index, _flat(graph)], "output.index")
    else:
        # The largest probability: the softmax's argmax (CategoricalCrossEntropy.decide),
        # or, for labels="sklearn", what a scikit-learn classifier's predict takes.
        index = graph.node("ArgMax", [proba], "output.index", axis=1, keepdims=0)
    table = label_table(classes, labels)
    if several:
        # Target j's labels are at 2j, 2j + 1 of the flattened table.
        offsets = graph.constant("output.offsets", 2 * np.arange(len(classes)), np.int64)
        index = graph.node("Add", [index, offsets], "output.flat_index")
    lookup = graph.constant("output.classes", table, table.dtype)
    graph.node("Gather", [lookup, index], label_name, axis=0)
    width = len(classes) if several else max(n_outputs, 2)
    proba_dtype = graph.dtype if dtype is None else np.dtype(dtype)
    if proba_dtype != graph.dtype:
        proba = graph.node("Cast", [proba], f"{proba}.cast", to=_tensor_type(proba_dtype))
    graph.node("Identity", [proba], proba_name)
    label_shape = (len(classes),) if several else ()
    return [
        Output(label_name, table.dtype, label_shape),
        Output(proba_name, proba_dtype, (width,)),
    ]


def _tensor_type(dtype: np.dtype[Any]) -> int:
    import onnx.helper

    return int(onnx.helper.np_dtype_to_tensor_dtype(dtype))


def _flat(graph: Graph) -> str:
    if "output.flat" not in {t.name for t in graph.initializers}:
        graph.constant("output.flat", np.array([-1]), np.int64)
    return "output.flat"


def _values(
    graph: Graph,
    A: str,
    n_outputs: int,
    target_scale: tuple[Any, Any] | None,
    name: str,
    dtype: Any,
) -> Output:
    """``y = a · std + mean`` in float64, ``(batch,)`` for one target."""
    values = A
    if graph.dtype != np.float64:
        values = graph.node("Cast", [A], "output.a64", to=_tensor_type(np.dtype(np.float64)))
    if target_scale is not None:
        mean, std = (np.atleast_1d(np.asarray(part, dtype=np.float64)) for part in target_scale)
        std_name = graph.constant("output.target_std", std, np.float64)
        mean_name = graph.constant("output.target_mean", mean, np.float64)
        values = graph.node("Mul", [values, std_name], "output.times_std")
        values = graph.node("Add", [values, mean_name], "output.in_units")
    out_dtype = np.dtype(np.float64 if dtype is None else dtype)
    if out_dtype != np.float64:
        values = graph.node("Cast", [values], "output.cast", to=_tensor_type(out_dtype))
    if n_outputs == 1:
        graph.node("Reshape", [values, _flat(graph)], name)
        return Output(name, out_dtype)
    graph.node("Identity", [values], name)
    return Output(name, out_dtype, (n_outputs,))


def label_table(classes: Sequence[Any], labels: LabelTypes = "own") -> np.ndarray:
    """The labels as one array (per-target lists flattened): int64, float64, bool, or an
    object array of strings, as the module says for ``labels``."""
    flat = [c for per in classes for c in per] if _per_target(classes) else list(classes)
    booleans = all(isinstance(c, bool | np.bool_) for c in flat)
    numbers = all(_is_number(c) for c in flat)
    whole = numbers and all(float(c).is_integer() for c in flat)
    integers = numbers and all(isinstance(c, int | np.integer) for c in flat)
    if booleans:
        return np.array(flat, dtype=np.int64 if labels == "sklearn" else bool)
    if integers or (labels == "sklearn" and whole):
        return np.array([int(c) for c in flat], dtype=np.int64)
    if numbers and labels == "own":
        return np.array(flat, dtype=np.float64)
    return np.array([str(c) for c in flat], dtype=object)


def _per_target(classes: Sequence[Any]) -> bool:
    return bool(classes) and all(isinstance(c, list | tuple) for c in classes)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
