"""skl2onnx converters for glassnet's estimators, so that a scikit-learn ``Pipeline`` that
ends in one exports to ONNX with ``skl2onnx.to_onnx`` like any other.

>>> from glassnet.sklearn.onnx_converter import register
>>> register()  # once, before converting
>>> onx = skl2onnx.to_onnx(pipeline, X[:1].astype(np.float32),
...                        options={GlassnetClassifier: {"zipmap": False}})

Inside a pipeline the estimator gets one matrix of numbers from the steps before it (a
``ColumnTransformer`` does the imputing, scaling and encoding), so the converter writes the
network and the output mapping, after the model's own imputation and scaling where it has
them (:func:`glassnet.io.onnx_raw.build_graph`, the graph ``glassnet.io.to_onnx`` writes).
Its outputs follow skl2onnx's conventions for classifiers: ``label`` (int64 for integer,
boolean and whole-number classes, strings for the rest) and ``probabilities`` ``(N, K)``
(two columns for two classes), in the input's float type, turned into a list of
dictionaries by skl2onnx's ``ZipMap`` unless the option ``zipmap`` is False; the label is
the class of the largest probability, as the estimator's ``predict`` takes it. A
regressor's ``variable`` is ``(N,)`` (``(N, k)`` for ``k`` targets) in the target's units.

skl2onnx is optional (``pip install skl2onnx``), imported when :func:`register` and the
converters run.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from ..io.onnx_graph import MIN_OPSET, Graph
from ..io.onnx_outputs import label_table
from ..io.onnx_preprocessing import RawInput
from ..io.onnx_raw import TabularModel, build_graph, input_columns, tabular_model

INSTALL_HINT = "pip install skl2onnx"
CLASSIFIER_OPTIONS: dict[str, list[Any]] = {"zipmap": [True, False, "columns"], "nocl": [False]}
"""The options of a classifier's conversion: skl2onnx's parser for classifiers reads
``zipmap`` (and adds its ``ZipMap`` after the probabilities unless it is False)."""


def register(*estimators: type) -> None:
    """Register the converters of ``estimators`` (default: ``GlassnetClassifier`` and
    ``GlassnetRegressor``) with skl2onnx: any class whose fitted instances hold a glassnet
    model in ``model_``; a subclass of scikit-learn's ``ClassifierMixin`` converts as a
    classifier. Registering again replaces the converter."""
    try:
        from skl2onnx import update_registered_converter  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ImportError(f"converting a pipeline needs skl2onnx: {INSTALL_HINT}") from exc
    from sklearn.base import ClassifierMixin  # type: ignore[import-untyped]

    if not estimators:
        # By name at run time: the estimators import scikit-learn, which this module does
        # only when asked to register.
        front = importlib.import_module("glassnet.sklearn")
        estimators = (front.GlassnetClassifier, front.GlassnetRegressor)
    for estimator in estimators:
        classifier = issubclass(estimator, ClassifierMixin)
        update_registered_converter(
            estimator,
            f"Glassnet{estimator.__name__}",
            calculate_output_shapes,
            convert,
            overwrite=True,
            options=CLASSIFIER_OPTIONS if classifier else None,
        )


def _model(operator: Any) -> TabularModel:
    """The glassnet model of a skl2onnx operator, with its input checked: one matrix of
    float32 or float64 numbers, as wide as the model takes."""
    from skl2onnx.common.data_types import (  # type: ignore[import-untyped]
        DoubleTensorType,
        FloatTensorType,
    )

    model = tabular_model(operator.raw_operator)
    name = type(operator.raw_operator).__name__
    if len(operator.inputs) != 1:
        raise ValueError(
            f"{name} takes one matrix of numbers in a pipeline, got {len(operator.inputs)} "
            "inputs; put a ColumnTransformer before it, or export it alone with "
            "glassnet.io.to_onnx(estimator)"
        )
    X = operator.inputs[0]
    if not isinstance(X.type, FloatTensorType | DoubleTensorType):
        raise TypeError(
            f"{name} takes a float or double tensor in ONNX, got {type(X.type).__name__}"
        )
    width = len(_columns(model))
    found = X.type.shape[1] if len(X.type.shape) == 2 else None
    if isinstance(found, int) and found != width:  # None or a name: any width
        raise ValueError(f"{name} takes {width} columns, but its input {X.onnx_name!r} has {found}")
    return model


def _columns(model: TabularModel) -> list[str]:
    if model.preprocessor is None:
        return [f"x{j}" for j in range(model.network.n_features)]
    return input_columns(model)


def calculate_output_shapes(operator: Any) -> None:
    """skl2onnx's shape calculator: the outputs' types and shapes (see the module)."""
    from skl2onnx.common.data_types import (
        Int64TensorType,
        StringTensorType,
    )

    model = _model(operator)
    X = operator.inputs[0]
    N = X.get_first_dimension()
    float_type = type(X.type)
    network = model.network
    if not network.loss.is_classification:
        (values,) = operator.outputs
        values.type = float_type([N] if network.n_outputs == 1 else [N, network.n_outputs])
        return
    label, probabilities = operator.outputs
    assert model.classes is not None, "a classifier has classes"
    table = label_table(model.classes, "sklearn")
    label_type = Int64TensorType if table.dtype == np.int64 else StringTensorType
    several = network.n_outputs > 1 and all(isinstance(c, list) for c in model.classes)
    label.type = label_type([N, network.n_outputs] if several else [N])
    probabilities.type = float_type([N, max(network.n_outputs, 2)])


def convert(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx's converter: the nodes from the input matrix to the outputs."""
    from skl2onnx.common.data_types import FloatTensorType

    model = _model(operator)
    X = operator.inputs[0]
    float_dtype = np.float32 if isinstance(X.type, FloatTensorType) else np.float64
    opset = container.target_opset
    if opset is not None and opset < MIN_OPSET:
        raise ValueError(
            f"glassnet's converter writes ONNX opset {MIN_OPSET} or later; target_opset is {opset}"
        )
    outputs = [out.full_name for out in operator.outputs]
    built = build_graph(
        model,
        opset or MIN_OPSET,
        X=RawInput(X.full_name, tuple(_columns(model))),
        X_dtype=float_dtype,
        names=outputs,
        labels="sklearn",
        dtype=float_dtype,
    )
    _copy(built.graph, scope, container, {X.full_name, *outputs})


def _copy(graph: Graph, scope: Any, container: Any, boundary: set[str]) -> None:
    """Add ``graph``'s initializers and nodes to skl2onnx's container, every name but the
    ``boundary`` (the operator's input and outputs) made unique in skl2onnx's scope."""
    import onnx.helper
    import onnx.numpy_helper

    renamed: dict[str, str] = {}

    def name(tensor: str) -> str:
        if not tensor or tensor in boundary:
            return tensor
        if tensor not in renamed:
            renamed[tensor] = scope.get_unique_variable_name(f"glassnet_{tensor}")
        return renamed[tensor]

    for tensor in graph.initializers:
        values = onnx.numpy_helper.to_array(tensor)
        content = values.ravel().tolist() if values.dtype == object else values.ravel()
        container.add_initializer(name(tensor.name), tensor.data_type, list(tensor.dims), content)
    for node in graph.nodes:
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(
            node.op_type,
            [name(tensor) for tensor in node.input],
            [name(tensor) for tensor in node.output],
            op_domain=node.domain,
            name=scope.get_unique_operator_name(f"glassnet_{node.op_type}"),
            **attributes,
        )
