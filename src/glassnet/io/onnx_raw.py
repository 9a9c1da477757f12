"""ONNX that serves raw data: a tabular model's preprocessing, network and output mapping
in one graph (:func:`to_onnx`), so that ONNX Runtime on the rows of a table gives what
``glassnet predict`` gives.

The graph has three parts, each in its own module:

- the raw columns in, imputed, scaled and one-hot encoded (:mod:`.onnx_preprocessing`):
  one float64 input ``X`` for an all-numeric table, else one input per column (float64
  or string, ``(batch, 1)``, named after the column);
- the network (:mod:`.onnx`), after a cast of the features to its dtype;
- the outputs (:mod:`.onnx_outputs`): ``label`` and ``probabilities`` for a classifier,
  ``values`` in the target's units for a regressor.

The model's metadata holds ``inputs`` (JSON: each input's columns, in order), ``classes``,
``targets`` and the network's description. An id column and dropped columns are not
inputs. A model without preprocessing of its own (the MNIST demo, or the model of a
``glassnet.sklearn`` estimator, which gets its columns from a pipeline) takes ``X``
``(batch, n_0)`` of float64.

Refused: a model with date columns. glassnet turns a date's text into five numbers (year,
month, day, day of the week, days since 1970) by parsing it; ONNX has no operator that
parses dates. Train without the column (``--drop``), or with those numbers as columns of
their own, to export it.

The model comes as the object itself (:class:`TabularModel`: a ``glassnet.tabular.Model``)
or as anything that holds one in ``model_`` (a fitted estimator of ``glassnet.sklearn``),
read by duck typing: :mod:`glassnet.io` sits below both.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..data import DATE_FEATURES, Preprocessor
from ..network import Network
from .files import atomic_write_bytes
from .onnx import add_network, network_props, network_summary
from .onnx_graph import Graph, check_opset, labels_json, require_onnx
from .onnx_outputs import PROBABILITIES, LabelTypes, Output, add_outputs
from .onnx_preprocessing import RawInput, add_preprocessing, describe, raw_inputs

if TYPE_CHECKING:
    import onnx

MEMBERS = ("network", "preprocessor", "classes", "target_scale", "metadata")
"""What :func:`to_onnx` reads of a model."""


class TabularModel(Protocol):
    """What :func:`to_onnx` reads of a model (``glassnet.tabular.Model`` has them all)."""

    @property
    def network(self) -> Network: ...

    @property
    def preprocessor(self) -> Preprocessor | None: ...

    @property
    def classes(self) -> list[Any] | None: ...

    @property
    def target_scale(self) -> tuple[Any, Any] | None: ...

    @property
    def metadata(self) -> dict[str, Any]: ...


class FittedEstimator(Protocol):
    """An estimator that holds its fitted model in ``model_`` (``glassnet.sklearn``)."""

    @property
    def model_(self) -> TabularModel: ...


def to_onnx(
    model: TabularModel | FittedEstimator,
    path: str | os.PathLike[str] | None = None,
    *,
    opset: int | None = None,
) -> onnx.ModelProto:
    """The ONNX model that takes ``model``'s raw columns and gives its labels and
    probabilities, or its values in the target's units (see :mod:`glassnet.io.onnx_raw`);
    written to ``path`` too (atomically) when given.

    ``model``: a ``glassnet.tabular.Model``, or a fitted estimator with one in ``model_``.
    ``opset``: the ONNX operator set, ``13`` or later, default ``17`` (with ``ai.onnx.ml``
    3 where there are categorical columns). The model is checked with ``onnx.checker``.

    >>> session = onnxruntime.InferenceSession(to_onnx(model).SerializeToString())  # doctest: +SKIP

    Raises
    ------
    ImportError
        When the ``onnx`` package is not installed.
    TypeError
        When ``model`` is neither a tabular model nor a fitted estimator holding one.
    NotImplementedError
        For a model with date columns, or a layer or activation ONNX cannot express.
    """
    onnx = require_onnx()
    tabular = tabular_model(model)
    if path is not None and Path(path).is_dir():
        raise IsADirectoryError(
            f"path {str(path)!r} is a directory; give a file name such as "
            f"{str(Path(path) / 'model.onnx')!r}"
        )
    built = build_graph(tabular, check_opset(opset, onnx.defs.onnx_opset_version()))
    exported = built.graph.model(
        [raw.value_info() for raw in built.inputs],
        [out.value_info() for out in built.outputs],
        built.doc(tabular),
        built.props(tabular),
    )
    onnx.checker.check_model(exported, full_check=True)
    if path is not None:
        atomic_write_bytes(path, exported.SerializeToString())
    return exported


def tabular_model(model: Any) -> TabularModel:
    """``model`` itself when it has what :class:`TabularModel` reads, else its ``model_``;
    a TypeError that says what was expected otherwise."""
    if all(hasattr(model, name) for name in MEMBERS):
        return model
    inner = getattr(model, "model_", None)
    if inner is not None and all(hasattr(inner, name) for name in MEMBERS):
        return inner
    if hasattr(model, "fit") and hasattr(model, "get_params"):
        raise TypeError(
            f"model is a {type(model).__name__} that is not fitted yet (it has no model_); "
            "call fit first"
        )
    raise TypeError(
        "model must be a glassnet.tabular.Model or a fitted glassnet estimator (one with "
        f"model_), got {type(model).__name__}; for a bare Network use "
        "glassnet.io.onnx.export_onnx"
    )


def input_columns(model: TabularModel) -> list[str]:
    """The raw columns an all-numeric model's ``X`` holds, in order: the model's input
    columns (no id, no dropped column), or, for a model trained on an array, every column
    of the array (``x0``, ``x1``, …), as ``Model.predict`` takes an array."""
    preprocessor = model.preprocessor
    assert preprocessor is not None
    plan = model.metadata.get("columns")
    if plan is None:  # saved before columns were planned: the preprocessing's own
        return list(preprocessor.columns_ or {})
    dates = [use["name"] for use in plan if use.get("use") == "date"]
    if dates:
        raise NotImplementedError(
            f"column {dates[0]!r} holds dates, which glassnet turns into "
            f"{len(DATE_FEATURES)} numbers ({', '.join(DATE_FEATURES)}) by parsing its "
            "text; ONNX cannot parse dates, so this model cannot be exported with its "
            f"preprocessing: train without it (--drop {shlex.quote(dates[0])}) or with those "
            "numbers as columns of their own"
        )
    names = [str(use["name"]) for use in plan]
    if names == [f"x{j}" for j in range(len(names))]:
        return names
    return [str(use["name"]) for use in plan if use.get("use") == "feature"]


@dataclass
class Built:
    """A graph from raw columns to outputs, with its inputs and outputs."""

    graph: Graph
    inputs: list[RawInput]
    outputs: list[Output]

    def doc(self, model: TabularModel) -> str:
        from .._version import __version__

        preprocessor = model.preprocessor
        steps = "" if preprocessor is None else f" Preprocessing: {describe(preprocessor)}."
        ins = ", ".join(f"{raw.name!r} ({len(raw.columns)})" for raw in self.inputs)
        outs = ", ".join(repr(out.name) for out in self.outputs)
        return (
            f"glassnet {__version__}: raw rows in, predictions out. Inputs: {ins}.{steps} "
            f"Network: {network_summary(model.network)}. Outputs: {outs}."
        )

    def props(self, model: TabularModel) -> dict[str, str]:
        props = network_props(model.network)
        props["inputs"] = json.dumps({raw.name: list(raw.columns) for raw in self.inputs})
        if model.classes is not None:
            props["classes"] = labels_json(model.classes)
        # Model.targets where the model has it (the Protocol asks only for what it needs).
        targets = getattr(model, "targets", None) or model.metadata.get("targets")
        if targets:
            props["targets"] = json.dumps(list(targets))
        return props


def build_graph(
    model: TabularModel,
    opset: int,
    *,
    X: RawInput | None = None,
    X_dtype: Any = np.float64,
    names: Sequence[str] | None = None,
    labels: LabelTypes = "own",
    dtype: Any = None,
) -> Built:
    """The graph of :func:`to_onnx`; or, with ``X`` (a numeric matrix of ``X_dtype``
    holding :func:`input_columns`), the graph from that matrix, as a converter inside a
    scikit-learn pipeline needs it, with ``names``, ``labels`` and ``dtype`` for its outputs
    (see :func:`~glassnet.io.onnx_outputs.add_outputs`)."""
    network, preprocessor = model.network, model.preprocessor
    graph = Graph(network.dtype, opset)
    if preprocessor is None:
        inputs = [X or RawInput("X", tuple(f"x{j}" for j in range(network.n_features)))]
        features, features_dtype = inputs[0].name, np.dtype(X_dtype if X else np.float64)
    else:
        columns = input_columns(model)
        if X is not None and preprocessor.categorical_columns:
            raise ValueError(
                "this model one-hot encodes the categorical column(s) "
                f"{preprocessor.categorical_columns}: inside a pipeline its input is one "
                "matrix of numbers; export it on its own with glassnet.io.to_onnx(estimator)"
            )
        inputs = [X] if X is not None else raw_inputs(preprocessor, columns)
        numeric = inputs
        if X is not None and np.dtype(X_dtype) != np.float64:  # the preprocessing is float64
            as_double = graph.node("Cast", [X.name], "input.float64", to=_type(np.float64))
            numeric = [RawInput(as_double, X.columns)]
        features = add_preprocessing(graph, preprocessor, numeric)
        features_dtype = np.dtype(np.float64)
    if np.dtype(features_dtype) != network.dtype:
        features = graph.node("Cast", [features], "network.X", to=_type(network.dtype))
    A = add_network(graph, network, features, "network.A")
    outputs = add_outputs(
        graph,
        A,
        network.loss,
        network.n_outputs,
        model.classes,
        model.target_scale,
        names=names,
        labels=labels,
        dtype=dtype,
    )
    taken = graph.clashes([raw.name for raw in inputs], [out.name for out in outputs])
    if taken:
        raise ValueError(
            f"the column(s) {', '.join(map(repr, taken))} have the name of an output or of "
            "a tensor inside the graph; rename the column(s) and train again to export"
        )
    return Built(graph, inputs, outputs)


def _type(dtype: Any) -> int:
    import onnx.helper

    return int(onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))


def describe_graph(exported: onnx.ModelProto) -> list[str]:
    """One line per input and output of a graph :func:`to_onnx` wrote: its name, type and
    shape, and the columns (of an input) or classes (of the probabilities) it holds."""
    import onnx.helper

    meta = {prop.key: prop.value for prop in exported.metadata_props}
    columns = json.loads(meta.get("inputs", "{}"))
    classes = json.loads(meta.get("classes", "null"))

    def typed(value: onnx.ValueInfoProto) -> str:
        tensor = value.type.tensor_type
        kind = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type)
        name = "string" if kind == np.dtype(object) else kind.name
        dims = [d.dim_param or str(d.dim_value) for d in tensor.shape.dim]
        return f"{value.name}: {name} ({', '.join(dims)}{',' if len(dims) == 1 else ''})"

    lines = []
    for value in exported.graph.input:
        held = columns.get(value.name, [])
        shown = ", ".join(held[:SHOWN]) + (f", … ({len(held)} in all)" if len(held) > SHOWN else "")
        lines.append(f"input {typed(value)}" + (f" ← {shown}" if held != [value.name] else ""))
    for value in exported.graph.output:
        line = f"output {typed(value)}"
        if value.name == PROBABILITIES and classes:
            if all(isinstance(pair, list) for pair in classes):  # several yes/no targets
                targets = json.loads(meta.get("targets", "[]"))
                heads = [f"{t}={pair[-1]}" for t, pair in zip(targets, classes, strict=False)]
                line += f" → P({'), P('.join(heads)})"
            else:
                line += f" → one column per class: {', '.join(map(str, classes))}"
        lines.append(line)
    return lines


SHOWN = 8
"""The most columns :func:`describe_graph` names for one input."""
