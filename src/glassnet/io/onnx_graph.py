"""What every ONNX graph glassnet writes is made of: the opsets, a graph being written, and
the checks on the names a caller chooses.

:class:`Graph` collects nodes and initializers; :mod:`glassnet.io.onnx` adds a network to
one, :mod:`glassnet.io.onnx_preprocessing` the preprocessing of raw columns and
:mod:`glassnet.io.onnx_raw` the outputs a user reads. Constants are written in the graph's
dtype (the network's) unless another is given: the preprocessing runs in float64, as it
does in glassnet.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnx

DEFAULT_OPSET = 17
"""The opset written when none is asked for."""
MIN_OPSET = 13
"""The oldest opset exported: ``Softmax`` over one axis (not a flattened 2-D view) is 13."""
GELU_OPSET = 20
"""The first opset with a ``Gelu`` operator."""
ML_DOMAIN = "ai.onnx.ml"
ML_OPSET = 3
"""The ``ai.onnx.ml`` opset of the raw-data graphs: its ``LabelEncoder`` (version 2, string
keys to integers) is read by ONNX Runtime since 1.x and by the other ML runtimes."""
INSTALL_HINT = 'pip install "glassnet[onnx]"'


def require_onnx() -> Any:
    """The ``onnx`` module, or an ImportError that says how to install it."""
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(f"ONNX export needs the onnx package: {INSTALL_HINT}") from exc
    return onnx


def check_opset(opset: Any, newest: int) -> int:
    """``opset`` checked against ``MIN_OPSET … newest``; :data:`DEFAULT_OPSET` for None."""
    if opset is None:
        return DEFAULT_OPSET
    if isinstance(opset, bool) or not isinstance(opset, int | np.integer):
        raise TypeError(f"opset must be an integer, got {opset!r} ({type(opset).__name__})")
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"opset must be between {MIN_OPSET} and {newest} (the newest this onnx knows), "
            f"got {opset}"
        )
    return int(opset)


def plain(value: Any) -> Any:
    """A NumPy scalar as the Python number or bool it holds, for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"class label {value!r} is not JSON data")


def labels_json(classes: Sequence[Any]) -> str:
    """Class labels (a list, or one list per target) as JSON that keeps their types."""
    return json.dumps(
        [list(c) if isinstance(c, list | tuple | np.ndarray) else c for c in classes],
        default=plain,
    )


class Graph:
    """The nodes and initializers of a graph being written; constants in ``dtype``
    unless a call names another."""

    def __init__(self, dtype: np.dtype[Any], opset: int) -> None:
        self.dtype, self.opset = dtype, opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.scalars: dict[tuple[float, str], str] = {}

    def constant(self, name: str, array: Any, dtype: Any = None) -> str:
        """An initializer named ``name`` holding ``array`` (strings: an object array)."""
        import onnx.numpy_helper

        values = np.asarray(array)
        if values.dtype.kind in "OUS":
            values = np.array([str(v) for v in values.ravel()], dtype=object).reshape(values.shape)
        else:
            values = np.ascontiguousarray(values, dtype=self.dtype if dtype is None else dtype)
        self.initializers.append(onnx.numpy_helper.from_array(values, name))
        return name

    def scalar(self, value: float, dtype: Any = None) -> str:
        """A 0-d constant, in the graph's dtype unless ``dtype`` is given, shared by every
        node that uses ``value``."""
        kind = np.dtype(self.dtype if dtype is None else dtype)
        key = (value, kind.name)
        if key not in self.scalars:
            suffix = "" if kind == self.dtype else f".{kind.name}"
            self.scalars[key] = self.constant(f"const.{value!r}{suffix}", np.array(value), kind)
        return self.scalars[key]

    def node(
        self, op: str, inputs: list[str], output: str, *, domain: str = "", **attributes: Any
    ) -> str:
        """Append the node ``output = op(*inputs)``; return ``output``."""
        import onnx.helper

        self.nodes.append(
            onnx.helper.make_node(
                op, inputs, [output], name=f"{output}.{op}", domain=domain or None, **attributes
            )
        )
        return output

    def clashes(self, inputs: Sequence[str], outputs: Sequence[str]) -> list[str]:
        """The graph's ``inputs`` and ``outputs`` whose names are taken twice: by another
        input, an initializer, or a node's output (each output is one node's)."""
        every = [*inputs, *(t.name for t in self.initializers)]
        every += [out for node in self.nodes for out in node.output]
        return sorted({name for name in [*inputs, *outputs] if every.count(name) > 1})

    def model(
        self,
        inputs: Sequence[onnx.ValueInfoProto],
        outputs: Sequence[onnx.ValueInfoProto],
        doc: str,
        props: dict[str, str],
    ) -> onnx.ModelProto:
        """The model of this graph, at the oldest IR version that holds its opsets (so that
        older runtimes read it), with glassnet as its producer and ``props`` as metadata."""
        import onnx.helper

        from .._version import __version__

        opsets = [onnx.helper.make_opsetid("", self.opset)]
        if any(node.domain == ML_DOMAIN for node in self.nodes):
            opsets.append(onnx.helper.make_opsetid(ML_DOMAIN, ML_OPSET))
        model = onnx.helper.make_model(
            onnx.helper.make_graph(self.nodes, "glassnet", inputs, outputs, self.initializers),
            opset_imports=opsets,
            ir_version=onnx.helper.find_min_ir_version_for(opsets),
            producer_name="glassnet",
            producer_version=__version__,
            doc_string=doc,
        )
        onnx.helper.set_model_props(model, {"glassnet_version": __version__, **props})
        return model
