"""The checks of a model file's JSON spec that come before anything is built from it.

A spec is only JSON, but a crafted one can ask for a layer of 10⁹ units, a class list of
a million labels, or a checkpoint at epoch 10¹²: each field's type and range is checked
here, against :data:`~glassnet.io.archive.LIMITS`, so that what the spec asks for is
bounded before the network, the preprocessing or a resumed run allocate for it. What
needs the built objects (the arrays' shapes against the layers, a scaler's scales) is
checked where they are built, and named after this file too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from ..layers import LAYERS
from .archive import LIMITS, Declared, ModelFileError, quoted

_FLOAT_DTYPES = ("float32", "float64")
_TRAINING_COPIES = 8
"""A checkpoint's arrays: the snapshot's copy of the network, two moments of Adam, the best
weights of early stopping — with room to spare, but bounded by the network."""
Fail = Callable[[str, str], NoReturn]
_LABEL_CHARACTERS = 10_000
"""The longest class label a file may hold (labels are shown in every report)."""


def check_spec(path: Path, spec: dict[str, Any]) -> None:
    """Refuse ``spec`` (with a :class:`ModelFileError` naming ``path`` and the field)
    unless every field that glassnet reads has the type and range it needs."""

    def fail(field: str, problem: str) -> NoReturn:
        raise ModelFileError(f"{path}: its {field} {problem}")

    network = spec.get("network")
    if not isinstance(network, dict):
        fail("network", "is missing or not a JSON object")
    layers = network.get("layers")
    if not isinstance(layers, list) or not 1 <= len(layers) <= LIMITS.layers:
        fail("network.layers", f"must be a list of 1 to {LIMITS.layers:,} layers")
    for position, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(layer.get("type"), str):
            fail(f"layer {position}", "is not a layer's config (a JSON object with a type)")
        _check_sizes(fail, f"layer {position}", layer)
    if not isinstance(network.get("loss"), str):
        fail("network.loss", "is missing or not a loss name")
    if network.get("dtype") not in _FLOAT_DTYPES:
        fail("network.dtype", f"must be one of {', '.join(_FLOAT_DTYPES)}")
    for key in ("l2", "l1"):
        value = network.get(key, 0.0)
        if not _number(value) or not 0 <= value < math.inf:
            fail(f"network.{key}", f"must be a finite number ≥ 0, got {quoted(value)}")
    _check_classes(fail, spec.get("classes"))
    for key in ("preprocessor", "training"):
        if spec.get(key) is not None and not isinstance(spec[key], dict):
            fail(key, "is not a JSON object")
    if not isinstance(spec.get("metadata") or {}, dict):
        fail("metadata", "is not a JSON object")
    training = spec.get("training")
    if training is not None:
        for key, top in (("epoch", LIMITS.epochs), ("step", LIMITS.epochs * LIMITS.units)):
            value = training.get(key)
            if type(value) is not int or not 0 <= value <= top:
                fail(
                    f"training.{key}", f"must be an integer from 0 to {top:,}, got {quoted(value)}"
                )


def check_arrays(path: Path, network: dict[str, Any], manifest: dict[str, Declared]) -> None:
    """The arrays the spec lists against those its layers need, before any is read: the
    same names and shapes for each layer that can tell (:meth:`Layer.array_shapes`), and
    a training state no larger than a few copies of the network (the optimizer's moments,
    the best weights so far, the snapshot's own copy)."""
    for position, config in enumerate(network["layers"]):
        kind = LAYERS.get(config["type"])
        if kind is None:
            known = ", ".join(map(repr, LAYERS))
            raise ModelFileError(
                f"{path}: its layer {position} has the unknown type {quoted(config['type'])} "
                f"(known: {known})"
            )
        try:
            needed = kind.array_shapes(config)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(
                f"{path}: its layer {position} ({config['type']}) lacks a size ({quoted(str(exc))})"
            ) from None
        if needed is None:
            continue
        prefix = f"layers.{position}."
        held = {k[len(prefix) :]: d.shape for k, d in manifest.items() if k.startswith(prefix)}
        for name in sorted(set(needed) | set(held)):
            if held.get(name) != needed.get(name):
                raise ModelFileError(
                    f"{path}: its layer {position} ({config['type']}) needs "
                    f"{name} of shape {needed.get(name)}, but the file lists {held.get(name)}"
                )
    in_network = sum(d.size for k, d in manifest.items() if k.startswith("layers."))
    in_training = sum(d.size for k, d in manifest.items() if k.startswith("training."))
    if in_training > _TRAINING_COPIES * in_network + 1024:
        raise ModelFileError(
            f"{path}: its training state holds {in_training:,} numbers for a network of "
            f"{in_network:,}"
        )
    if stray := [k for k in manifest if not k.startswith(("layers.", "training."))]:
        raise ModelFileError(f"{path}: it holds the array {quoted(stray[0])}, which is no model's")


def _check_sizes(fail: Fail, where: str, value: Any) -> None:
    """Every integer in a layer's config is a size (units, a shape's side): at most
    :attr:`Limits.units`; every number is finite."""
    if isinstance(value, dict):
        for inner in value.values():
            _check_sizes(fail, where, inner)
    elif isinstance(value, list):
        for inner in value:
            _check_sizes(fail, where, inner)
    elif type(value) is int and not 0 <= value <= LIMITS.units:
        shown = f"{value:,}" if abs(value) < 10**15 else f"about 1e{len(str(abs(value))) - 1}"
        fail(where, f"asks for a size of {shown} (at most {LIMITS.units:,})")
    elif type(value) is float and not math.isfinite(value):
        fail(where, f"holds the number {value}, which is not finite")


def _check_classes(fail: Fail, classes: Any) -> None:
    """``None``, a list of class labels, or one such list per target."""
    if classes is None:
        return
    if not isinstance(classes, list) or len(classes) > LIMITS.units:
        fail("classes", f"must be a list of at most {LIMITS.units:,} class labels")
    several = bool(classes) and all(isinstance(labels, list) for labels in classes)
    for labels in classes if several else [classes]:
        if not isinstance(labels, list) or len(labels) > LIMITS.units:
            fail("classes", f"must be lists of at most {LIMITS.units:,} class labels")
        for label in labels:
            if not isinstance(label, str | int | float | bool) or (
                isinstance(label, float) and not math.isfinite(label)
            ):
                fail("classes", f"hold {quoted(label)}, which is not a class label")
            if isinstance(label, str) and len(label) > _LABEL_CHARACTERS:
                fail("classes", f"hold a label of {len(label):,} characters")
        if len({(type(label), label) for label in labels}) != len(labels):
            fail("classes", "repeat a label")


def _number(value: Any) -> bool:
    return type(value) in (int, float)
