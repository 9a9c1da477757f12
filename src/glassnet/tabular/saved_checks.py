"""What a tabular model file must hold beyond a valid network: class labels that fit the
outputs, a target scale that can be applied, preprocessing that feeds the first layer,
and, for a checkpoint, settings that match the network it holds.

The model file's checksum has no key, so each of these is checked, not trusted: an edited
file with a scale of ``inf`` or a ``std`` of 0 would otherwise predict NaN for every row
and exit 0, and a checkpoint whose settings ask for layers of 40,000 units would allocate
them before anything compared them with the network.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

from ..data import Preprocessor
from ..io.archive import ModelFileError, printable, quoted
from ..io.model_file import SavedModel
from ..layers import Dense
from ..losses import TASKS
from ..network import Network
from ..training.options import settings_from as training_settings
from .columns import ColumnPlan
from .labels import saved_classes
from .units import saved_scale


def model_parts(saved: SavedModel, path: str | os.PathLike[str]) -> dict[str, Any]:
    """The keyword arguments of :class:`~glassnet.tabular.Model` for what a model file
    holds, each checked; a :class:`~glassnet.io.ModelFileError` naming ``path`` and the
    field when one does not fit."""
    try:
        check_saved(saved)
        metadata = dict(saved.metadata)
        task = metadata.pop("task", None)
        scale = metadata.pop("target_scale", None)
        preprocessor = None
        if saved.preprocessor is not None:
            preprocessor = Preprocessor.from_dict(saved.preprocessor)
            if preprocessor.n_features_out != saved.network.n_features:
                raise ValueError(
                    f"its preprocessing gives {preprocessor.n_features_out} features to a "
                    f"network that takes {saved.network.n_features}"
                )
        if metadata.get("columns") is not None:
            plan = ColumnPlan.from_list(metadata["columns"])
            taken = None if preprocessor is None else list(preprocessor.columns_ or {})
            if taken is not None and plan.features != taken:
                raise ValueError(
                    f"its column plan gives the columns {quoted(plan.features)} but its "
                    f"preprocessing takes {quoted(taken)}"
                )
        if isinstance(metadata.get("settings"), dict):
            training_settings(metadata["settings"])
        return {
            "network": saved.network,
            "task": task if task in TASKS else saved.network.loss.task,
            "preprocessor": preprocessor,
            "classes": saved_classes(saved.classes) or index_classes(saved.network),
            "target": metadata.pop("target", None),
            "target_scale": None if scale is None else saved_scale(scale),
            "metadata": metadata,
        }
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
        cause = str(exc).strip("'\"") or type(exc).__name__
        raise ModelFileError(f"{path}: {printable(cause, 300)}") from None


def index_classes(network: Network) -> list[int] | None:
    """The labels of a classifier saved without any: its class indices, ``0 … K−1``."""
    if not network.loss.is_classification:
        return None
    return list(range(max(network.n_outputs, 2)))  # one sigmoid output: classes 0 and 1


def check_saved(saved: SavedModel) -> None:
    """A ValueError naming the field, unless the parts of ``saved`` fit each other."""
    network, metadata = saved.network, saved.metadata
    tabular = metadata.get("target") is not None or saved.preprocessor is not None
    _check_classes(network, saved.classes, tabular)
    _check_scale(network, metadata.get("target_scale"))
    for key in ("target", "targets"):
        value = metadata.get(key)
        names = value if isinstance(value, list) else [value]
        if value is not None and not all(isinstance(name, str) for name in names):
            raise ValueError(f"its metadata's {key!r} is not column names")
    for key in ("settings", "columns", "dialect"):
        if key in metadata and not isinstance(metadata[key], dict | list | type(None)):
            raise ValueError(f"its metadata's {key!r} is not a JSON object or list")


def check_settings_fit(settings: dict[str, Any], network: Network) -> None:
    """A checkpoint's settings describe its own network: a resumed run builds the network
    from the settings before it puts the saved arrays in, so hidden sizes that differ
    (a crafted ``layers = [40000, 40000]``) are refused before anything is allocated."""
    hidden = [layer.n_out for layer in network.layers if isinstance(layer, Dense)][:-1]
    if list(settings.get("layers", [])) != hidden:
        raise ValueError(
            f"its settings ask for hidden layers {settings.get('layers')!r}, but its network "
            f"has {hidden}"
        )


def _check_classes(network: Network, classes: Any, tabular: bool) -> None:
    """Labels that fit the outputs; a model of a table (one with a target column) must
    have them, since its predictions are its labels."""
    loss, n_out = network.loss, network.n_outputs
    if not loss.is_classification:
        if classes is not None:
            raise ValueError(f"it holds class labels, but its network does {loss.task}")
        return
    if classes is None and not tabular:  # a Network saved from Python: classes 0 … K−1
        return
    if not isinstance(classes, list) or not classes:
        raise ValueError(f"its network classifies ({loss.task}) but it holds no class labels")
    if all(isinstance(labels, list) for labels in classes):  # several yes/no targets
        if len(classes) != n_out or any(len(labels) != 2 for labels in classes):
            raise ValueError(
                f"it holds {len(classes)} lists of class labels for {n_out} yes/no outputs"
            )
        return
    loss.check_classes(len(classes), "target")
    if loss.output_units(len(classes)) != n_out:
        raise ValueError(f"it holds {len(classes)} class labels for {n_out} outputs")


def _check_scale(network: Network, scale: Any) -> None:
    """``[mean, std]``: two numbers, or two lists of one per output; finite, ``std > 0``."""
    if scale is None:
        return
    if not isinstance(scale, list) or len(scale) != 2:
        raise ValueError("its target_scale is not [mean, std]")
    mean, std = scale
    means = mean if isinstance(mean, list) else [mean]
    stds = std if isinstance(std, list) else [std]
    if len(means) != len(stds) or (isinstance(mean, list) and len(means) != network.n_outputs):
        raise ValueError("its target_scale does not have one mean and one std per output")
    if not (_finite_numbers(means) and _finite_numbers(stds) and all(s > 0 for s in stds)):
        raise ValueError(
            f"its target_scale must be finite numbers with std > 0, got {quoted(scale)}"
        )


def _finite_numbers(values: Sequence[Any]) -> bool:
    return all(type(v) in (int, float) and math.isfinite(v) for v in values)
