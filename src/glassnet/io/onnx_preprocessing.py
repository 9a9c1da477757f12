"""A tabular model's preprocessing as ONNX nodes: raw columns in, the network's features out.

The graph takes the raw columns, as a table holds them:

- an all-numeric table: one input ``X`` ``(batch, n)`` of float64, the columns in the
  order that :func:`raw_inputs` gives (the model's input columns; for a model trained on
  an array, every column of the array, as ``Model.predict`` takes it);
- a table with categorical columns: one input per column, named after it, ``(batch, 1)``:
  float64 for a numeric column, a string for a categorical one (as sklearn-onnx does).

Then, as :class:`~glassnet.data.Preprocessor` computes it, in float64 (so that the
features equal glassnet's to the last bit before the cast to the network's dtype):

- a missing number (NaN) becomes the training median: ``Where(IsNaN(x), median, x)``;
- it is scaled: ``(x − μ) / σ`` (standard) or ``(x − min) / range`` (min-max), or not;
- a category becomes its one-hot row: ``LabelEncoder`` (``ai.onnx.ml``) maps the text to
  the category's index, ``-1`` for text that is no category (one never seen in training;
  a missing value as pandas' ``astype(str)`` writes it, ``"nan"`` or ``"None"``, or an
  empty cell: a CSV file's categories are never these), and ``Equal`` with ``0 … k−1``
  gives the row, all zeros for ``-1``, as glassnet encodes them.

A category that is a whole number (``"3"``, from a column of numbers read as categories)
is also found under the spelling pandas gives it in a column with gaps, ``"3.0"``.
The features are then put in the preprocessor's column order (a ``Gather`` over the
columns, where the blocks are not already in that order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..data import MinMaxScaler, Preprocessor, StandardScaler
from .onnx_graph import ML_DOMAIN, Graph

if TYPE_CHECKING:
    import onnx

FEATURES = "preprocess.features"
"""The name of the preprocessed features where they are put in order by a ``Gather``."""


@dataclass(frozen=True)
class RawInput:
    """One input of the graph: its name, the raw columns it holds (in order), and whether
    they are text (a categorical column) or numbers (float64)."""

    name: str
    columns: tuple[str, ...]
    categorical: bool = False

    def value_info(self) -> onnx.ValueInfoProto:
        """The input's declaration: ``(batch, n_columns)``, float64 or string."""
        import onnx.helper

        kind = onnx.TensorProto.STRING if self.categorical else onnx.TensorProto.DOUBLE
        return onnx.helper.make_tensor_value_info(self.name, kind, ["batch", len(self.columns)])


def raw_inputs(preprocessor: Preprocessor, columns: Sequence[str]) -> list[RawInput]:
    """The graph's inputs for a model whose raw input ``columns`` (in the table's order) go
    through ``preprocessor``: one ``X`` of them all when it has no categorical column, else
    one input per preprocessed column."""
    if not preprocessor.categorical_columns:
        return [RawInput("X", tuple(columns))]
    kinds = preprocessor.columns_ or {}
    return [RawInput(name, (name,), kind == "categorical") for name, kind in kinds.items()]


def add_preprocessing(graph: Graph, preprocessor: Preprocessor, inputs: Sequence[RawInput]) -> str:
    """Append the nodes from the raw ``inputs`` to the features ``(batch,
    preprocessor.n_features_out)``, float64 in the preprocessor's column order; returns
    their name."""
    numeric_names, categorical_names = (
        preprocessor.numeric_columns,
        preprocessor.categorical_columns,
    )
    blocks: list[str] = []
    layout: list[tuple[str, int]] = []  # (column, width) of each block, in concatenation order
    if numeric_names:
        blocks.append(_numeric(graph, preprocessor, _numeric_block(graph, numeric_names, inputs)))
        layout += [(name, 1) for name in numeric_names]
    by_name = {raw.name: raw for raw in inputs}
    categories = preprocessor.encoder_.categories_ or []
    for name, known in zip(categorical_names, categories, strict=True):
        if known:  # a column with no category in training adds no feature
            blocks.append(_one_hot(graph, by_name[name].name, name, known))
        layout.append((name, len(known)))
    joined = (
        blocks[0] if len(blocks) == 1 else graph.node("Concat", blocks, "preprocess.blocks", axis=1)
    )
    order = _column_order(layout, list(preprocessor.columns_ or {}))
    if order == list(range(len(order))):
        return joined
    indices = graph.constant("preprocess.order", np.array(order), np.int64)
    return graph.node("Gather", [joined, indices], FEATURES, axis=1)


def _numeric_block(graph: Graph, names: Sequence[str], inputs: Sequence[RawInput]) -> str:
    """The numeric columns ``names`` side by side, ``(batch, len(names))``: ``X`` itself
    (or the columns of it that the preprocessing reads), or the column inputs joined."""
    if len(inputs) == 1 and not inputs[0].categorical:
        (X,) = inputs
        if list(X.columns) == list(names):
            return X.name
        picked = np.array([X.columns.index(name) for name in names], dtype=np.int64)
        indices = graph.constant("preprocess.numeric_columns", picked, np.int64)
        return graph.node("Gather", [X.name, indices], "preprocess.numeric", axis=1)
    columns = {raw.name: raw for raw in inputs}
    parts = [columns[name].name for name in names]
    if len(parts) == 1:
        return parts[0]
    return graph.node("Concat", parts, "preprocess.numeric", axis=1)


def _numeric(graph: Graph, preprocessor: Preprocessor, block: str) -> str:
    """``Where(IsNaN(x), median, x)``, then scaled, in float64 (as glassnet computes it)."""
    medians = preprocessor.imputer_.medians_
    assert medians is not None, "a model's preprocessing is fitted"
    missing = graph.node("IsNaN", [block], "preprocess.missing")
    median = graph.constant("preprocess.median", medians, np.float64)
    imputed = graph.node("Where", [missing, median, block], "preprocess.imputed")
    scaler = preprocessor.scaler_
    if isinstance(scaler, StandardScaler):
        shift, spread = scaler.mean_, scaler.scale_
    elif isinstance(scaler, MinMaxScaler):
        shift, spread = scaler.min_, scaler.range_
    else:
        assert scaler is None, f"a scaler ONNX export does not know: {scaler!r}"
        return imputed
    assert shift is not None and spread is not None, "a model's scaler is fitted"
    centred = graph.node(
        "Sub",
        [imputed, graph.constant("preprocess.shift", shift, np.float64)],
        "preprocess.centred",
    )
    return graph.node(
        "Div",
        [centred, graph.constant("preprocess.spread", spread, np.float64)],
        "preprocess.scaled",
    )


def _one_hot(graph: Graph, input_name: str, column: str, known: Sequence[str]) -> str:
    """The one-hot rows ``(batch, k)`` float64 of the text column ``input_name``
    ``(batch, 1)``: all zeros where the text is no category."""
    import onnx

    keys, values = list(known), list(range(len(known)))
    for i, category in enumerate(known):
        alias = _float_spelling(category)
        if alias is not None and alias not in known:
            keys.append(alias)
            values.append(i)
    index = graph.node(
        "LabelEncoder",
        [input_name],
        f"preprocess.{column}.index",
        domain=ML_DOMAIN,
        keys_strings=keys,
        values_int64s=values,
        default_int64=-1,
    )
    categories = graph.constant(f"preprocess.{column}.categories", np.arange(len(known)), np.int64)
    hot = graph.node("Equal", [index, categories], f"preprocess.{column}.is")
    return graph.node("Cast", [hot], f"preprocess.{column}.one_hot", to=onnx.TensorProto.DOUBLE)


def _float_spelling(category: str) -> str | None:
    """``"3.0"`` for the category ``"3"``: how pandas writes a whole number in a column of
    floats (one with a gap), so that such a column finds its categories."""
    try:
        number = int(category)
    except ValueError:
        return None
    return f"{number}.0" if str(number) == category else None


def _column_order(layout: Sequence[tuple[str, int]], columns: Sequence[str]) -> list[int]:
    """For each feature in the order of ``columns`` (each as wide as ``layout`` says), its
    position in the blocks as ``layout`` joins them."""
    start: dict[str, int] = {}
    position = 0
    for name, width in layout:
        start[name] = position
        position += width
    widths: Mapping[str, int] = dict(layout)
    return [start[name] + k for name in columns for k in range(widths[name])]


def describe(preprocessor: Preprocessor) -> str:
    """One line on what the graph does to the raw columns, for its doc string."""
    scaled = {"standard": "standardized", "minmax": "scaled to [0, 1]"}.get(
        str(preprocessor.scale), "not scaled"
    )
    parts = []
    if preprocessor.numeric_columns:
        parts.append(
            f"{len(preprocessor.numeric_columns)} numeric column(s): NaN → the training "
            f"median, {scaled}"
        )
    if preprocessor.categorical_columns:
        parts.append(
            f"{len(preprocessor.categorical_columns)} categorical column(s): one-hot, "
            "an unseen or missing category → all zeros"
        )
    return "; ".join(parts)
