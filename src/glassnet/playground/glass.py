"""What the playground shows of the network: pictures over the plane, the glass box of the
current mini-batch, and the diagnosis's findings on the units they concern.

Nothing here is a second implementation: the pictures are the network's own forward pass
over a grid of points, the glass box is :func:`glassnet.inspect.trace` of the last step
re-run on a copy of the network as that step found it (so its numbers are the step's,
and its updated parameters are the session's current ones), and the findings are
:func:`glassnet.inspect.diagnose`'s, with the units counted from each layer's record.
"""

from __future__ import annotations

from string import Template
from typing import Any

import numpy as np

from ..inspect import trace
from ..inspect.diagnose import (
    DEAD_FRACTION,
    SATURATION_FRACTION,
    SIGMOID_SATURATION,
    TANH_SATURATION,
    diagnose,
)
from ..inspect.render_formats import latex_symbol
from ..inspect.trace import LayerInfo, TraceStep
from ..layers import Dense
from ..losses import loss_for_task
from .config import ConfigError
from .session import Session

EXTENT = 1.2
"""The pictures cover ``[-EXTENT, EXTENT]²``: the data's square and a margin for the noise."""
DIAGNOSIS_SAMPLES = 256
"""The diagnosis reads one pass over at most this many training points."""


def dense_layers(session: Session) -> list[Dense]:
    """Layers ``1 … L`` of the documents (the network's dense layers)."""
    return [layer for layer in session.network.layers if isinstance(layer, Dense)]


def check_layer(session: Session, layer: int) -> int:
    """``layer`` if it is 0 (the output) or one of ``1 … L``, else an error naming it."""
    count = len(dense_layers(session))
    if not 0 <= layer <= count:
        raise ConfigError(f"layer must be from 0 (the output) to {count}, got {layer}")
    return layer


# -- pictures over the plane ------------------------------------------------------------


def boundary(session: Session, layer: int = 0, unit: int = 1, n: int = 40) -> dict[str, Any]:
    """The output (``layer = 0``) or unit ``unit`` (from 1) of layer ``layer`` over an
    ``n × n`` grid of the plane: ``values[i][j]`` is at ``(xs[j], ys[i])``."""
    check_layer(session, layer)
    xs = np.linspace(-EXTENT, EXTENT, n)
    grid = np.column_stack([np.tile(xs, n), np.repeat(xs, n)])  # x varies fastest
    with session.lock:
        dense = dense_layers(session)
        output = session.network.forward(grid)  # inference: dropout off, batch norm's running μ, σ²
        if layer == 0:
            view = _output_picture(session, output, n)
        else:
            target = dense[layer - 1]
            if not 1 <= unit <= target.n_out:
                raise ConfigError(
                    f"unit must be from 1 to {target.n_out} in layer {layer}, got {unit}"
                )
            A = target.forward_record()["A"]
            assert A is not None
            view = {
                "values": A[:, unit - 1].reshape(n, n).tolist(),
                "kind": "activation",
                "explanation": _unit_sentence(target, layer, unit, last=layer == len(dense)),
            }
    return {"xs": xs.tolist(), "ys": xs.tolist(), "layer": layer, "unit": unit, **view}


def _output_picture(session: Session, output: np.ndarray, n: int) -> dict[str, Any]:
    loss = loss_for_task(session.data.task)
    if loss.is_classification and output.shape[1] == 1:  # one sigmoid unit
        return {
            "values": output[:, 0].reshape(n, n).tolist(),
            "kind": "probability",
            "explanation": (
                "The network's probability that a point belongs to class 1, σ(z^[L]) of the "
                "output unit: the decision boundary is where it crosses 0.5."
            ),
        }
    if loss.is_classification:  # a softmax unit per class
        return {
            "values": output.argmax(axis=1).reshape(n, n).tolist(),
            "confidence": output.max(axis=1).reshape(n, n).tolist(),
            "kind": "class",
            "explanation": (
                "The class with the largest softmax probability at each point (the "
                "confidence is that probability): the boundaries are where two classes tie."
            ),
        }
    return {
        "values": output[:, 0].reshape(n, n).tolist(),
        "kind": "value",
        "explanation": (
            "The network's prediction ŷ = z^[L] at each point: the surface it has learned "
            "to fit to the targets."
        ),
    }


def _unit_sentence(layer: Dense, l: int, unit: int, last: bool) -> str:
    f = layer.activation.name
    a = f"a^[{l}]_{unit}"
    if l == 1:
        return (
            f"Unit {unit} of layer 1: {a} = {f}(w₁x + w₂y + b) over the plane, so it changes "
            f"only across the line w₁x + w₂y + b = 0: one straight cut, which the layers "
            f"above combine into the boundary."
        )
    where = "the output unit" if last else f"unit {unit} of layer {l}"
    return (
        f"{where[0].upper()}{where[1:]}: {a} = {f}(W^[{l}]_{unit} · a^[{l - 1}] + b), a "
        f"weighted sum of the {layer.n_in} pictures of layer {l - 1} passed through {f}: "
        "curved regions built from the straight cuts of layer 1."
    )


# -- the glass box ----------------------------------------------------------------------


def trace_view(session: Session, layer: int) -> dict[str, Any]:
    """The record of the current mini-batch's step for layer ``layer`` (1 … L): its input,
    ``Z``, ``A`` (and ``Ẑ``, ``BN(Z)``, a dropout mask), ``δ``, ``∂J/∂W``, ``∂J/∂b``, the
    optimizer's quantities and the parameters before and after, in the documents'
    notation and orientation (samples in columns)."""
    with session.lock:
        count = len(dense_layers(session))
        if not 1 <= layer <= count:
            raise ConfigError(f"layer must be from 1 to {count}, got {layer}")
        copied = session.before_copy()
        if copied is None:
            raise ConfigError("there is no mini-batch yet: take a step (or play) first")
        network, optimizer, indices = copied
        X, Y = session.X_train[indices], session.Y_train[indices]
        step_count, epoch = session.step_count, session.epoch
    # The copy is the session's network before its last step: the same step, run again.
    record = trace(network, X, Y, optimizer=optimizer)
    step = record.steps[0]
    infos = [info for info in record.layers if info.l == layer]
    below = [info for info in record.layers if info.l == layer - 1]
    dense = next(info for info in infos if info.params)
    arrays = [_input(record, step, below, dense)]
    for info in infos:
        arrays += _entries(info, _at(step.forward, info))
    arrays += _entries(dense, _at(step.backward, dense), backward=True)
    arrays += _parameters(record, step, dense)
    return {
        "layer": layer,
        "step": step_count,
        "epoch": epoch,
        "batch": {"indices": indices.tolist(), "size": len(indices)},
        "loss": step.loss,
        "loss_terms": step.loss_terms,
        "update": step.update,
        "arrays": arrays,
        "equations": equations(record, dense, layer == count),
        "rule": record.rule_description,
    }


def _at(entries: list[dict[str, Any]], info: LayerInfo) -> dict[str, Any]:
    """The record of ``info``'s layer among a step's entries (one per layer)."""
    return next(
        entry for entry in entries if entry["layer"] == info.l and entry["kind"] == info.kind
    )


def _array(name: str, values: Any, latex: str | None = None) -> dict[str, Any]:
    rows = len(values)
    columns = len(values[0]) if rows else 0
    return {
        "name": name,
        "latex": latex if latex is not None else latex_symbol(name),
        "shape": [rows, columns],
        "values": values,
    }


def _input(
    record: Any, step: TraceStep, below: list[LayerInfo], dense: LayerInfo
) -> dict[str, Any]:
    """``A^[l−1]``, the layer's input: ``X`` for layer 1, else the output of the layer below
    (after its dropout, if it has one)."""
    if not below:
        return _array("A^[0]", record.X)
    top = below[-1]
    return _array(dense.input_symbol, _at(step.forward, top)["A"], latex_symbol(dense.input_symbol))


def _entries(
    info: LayerInfo, entry: dict[str, Any], backward: bool = False
) -> list[dict[str, Any]]:
    arrays = []
    for key, values in entry.items():
        if key in ("layer", "kind"):
            continue
        if key.endswith(("_l2", "_l1")):  # the L2 and L1 parts of ∂J/∂W, e.g. "dW_l2"
            symbol = info.symbol(key[1:-3])
            if key.endswith("_l2"):
                name, latex = f"(λ/m) {symbol}", rf"\frac{{\lambda}}{{m}} {latex_symbol(symbol)}"
            else:
                name = f"(λ₁/m) sign({symbol})"
                latex = rf"\frac{{\lambda_1}}{{m}} \operatorname{{sign}}({latex_symbol(symbol)})"
            arrays.append(_array(name, values, latex))
        else:
            arrays.append(_array(info.symbol(key), values))
    return arrays


def _parameters(record: Any, step: TraceStep, dense: LayerInfo) -> list[dict[str, Any]]:
    """Each parameter before the step, the rule's quantities, and the parameter after."""
    before = next(entry for entry in record.initial if entry["layer"] == dense.l)
    after = next(entry for entry in step.params if entry["layer"] == dense.l)
    arrays = []
    for name in dense.params:
        symbol = dense.symbol(name)
        arrays.append(_array(f"{symbol} (before)", before[name], latex_symbol(symbol)))
        for key, values in after.get("update", {}).get(name, {}).items():
            arrays.append(
                _array(f"{key} of {symbol}", values, rf"\mathrm{{{key}}}\ ({latex_symbol(symbol)})")
            )
        arrays.append(_array(f"{symbol} (after)", after[name], latex_symbol(symbol) + "'"))
    return arrays


def equations(record: Any, dense: LayerInfo, last: bool) -> list[str]:
    """The equations of layer ``l``'s step, in the documents' notation."""
    l, f = dense.l, dense.activation
    inp = dense.input_symbol
    norm = "BN" in dense.forward_keys
    lines = [f"Z^[{l}] = W^[{l}] {inp} + b^[{l}]"]
    if norm:
        lines += [
            f"Ẑ^[{l}] = (Z^[{l}] − μ) / √(σ² + ε)   (μ, σ² over the batch)",
            f"BN(Z^[{l}]) = γ^[{l}] Ẑ^[{l}] + β^[{l}]",
            f"A^[{l}] = {f}(BN(Z^[{l}]))",
        ]
    else:
        lines.append(f"A^[{l}] = {f}(Z^[{l}])")
    dropout = next((info for info in record.layers if info.l == l and info.kind == "dropout"), None)
    if dropout is not None:
        rate = dropout.config.get("rate")
        lines.append(f"dropout(A^[{l}]) = A^[{l}] ⊙ M^[{l}] / (1 − {rate})")
    fz = f"{f}'(BN(Z^[{l}]))" if norm else f"{f}'(Z^[{l}])"
    if last and record.fused:
        lines.append(f"δ^[{l}] = A^[{l}] − Y   ({f} with {record.loss.description}: f' cancels)")
    elif last:
        lines.append(f"δ^[{l}] = ∂L/∂A^[{l}] ⊙ {fz}")
    else:
        back = f"W^[{l + 1}]ᵀ δ^[{l + 1}]"
        if dropout is not None:
            back = f"({back}) ⊙ M^[{l}] / (1 − {dropout.config.get('rate')})"
        if norm:
            lines += [
                f"g = ({back}) ⊙ {fz}",
                f"δ^[{l}] = (γ^[{l}] / √(σ² + ε)) (g − mean(g) − Ẑ^[{l}] mean(g ⊙ Ẑ^[{l}]))",
            ]
        else:
            lines.append(f"δ^[{l}] = ({back}) ⊙ {fz}")
    penalty = f" + (λ/m) W^[{l}]" if record.l2 else ""
    penalty += f" + (λ₁/m) sign(W^[{l}])" if record.l1 else ""
    lines += [
        f"∂J/∂W^[{l}] = (1/m) δ^[{l}] {inp}ᵀ{penalty}",
        f"∂J/∂b^[{l}] = (1/m) Σ_i δ^[{l}]_i",
    ]
    if norm:
        lines += [
            f"∂J/∂γ^[{l}] = (1/m) Σ_i g_i ⊙ Ẑ^[{l}]_i",
            f"∂J/∂β^[{l}] = (1/m) Σ_i g_i",
        ]
    for line in record.rule:  # the optimizer's rule for W^[l] (the same for each parameter)
        if "←" in line.text or "=" in line.text:
            lines.append(Template(line.text).safe_substitute(theta=f"W^[{l}]", g=f"∂J/∂W^[{l}]"))
    return lines


# -- findings -------------------------------------------------------------------------


def findings(session: Session) -> list[dict[str, Any]]:
    """Dead ReLU units and saturated sigmoid/tanh units, each on the units it concerns
    (from a forward pass over the training set), then the diagnosis's findings about
    whole layers (vanishing or exploding gradients, too large or too small steps)."""
    with session.lock:
        key = (id(session.network), session.step_count)
        cached = session.findings_cache
        if cached is not None and cached[0] == key:
            return list(cached[1])
        network = session.network
        X = session.X_train[:DIAGNOSIS_SAMPLES]
        Y = session.Y_train[:DIAGNOSIS_SAMPLES]
        network.forward(session.X_train)
        found = [
            f for l, layer in enumerate(dense_layers(session)[:-1], 1) for f in _units(layer, l)
        ]
        try:
            diagnosis = diagnose(network, X, Y, optimizer=session.optimizer)
        except (ValueError, FloatingPointError):
            diagnosis = None
        if diagnosis is not None:
            found += [
                {
                    "kind": finding.kind,
                    "layer": finding.layer,
                    "layers": list(finding.layers),
                    "units": [],
                    "text": f"{finding.message}; what helps: {finding.advice}",
                }
                for finding in diagnosis.findings
                if finding.kind not in ("dead_relu", "saturation")
            ]
        session.findings_cache = (key, found)
        return list(found)


def _units(layer: Dense, l: int) -> list[dict[str, Any]]:
    record = layer.forward_record()
    A = record["A"]
    pre = record.get("BN") if record.get("BN") is not None else record["Z"]
    assert A is not None and pre is not None
    name = layer.activation.name
    if name == "relu":
        dead = [int(u) + 1 for u in np.flatnonzero(np.all(pre <= 0, axis=0))]
        if not dead:
            return []
        share = len(dead) / layer.n_out
        worry = " (most of the layer)" if share > DEAD_FRACTION else ""
        return [
            {
                "kind": "dead_relu",
                "layer": l,
                "layers": [l],
                "units": dead,
                "text": (
                    f"layer {l}: unit{'s' * (len(dead) > 1)} {', '.join(map(str, dead))} "
                    f"{'are' if len(dead) > 1 else 'is'} dead{worry}: Z ≤ 0 on every training "
                    "point, so f'(Z) = 0 and no gradient reaches "
                    f"{'their' if len(dead) > 1 else 'its'} weights"
                ),
            }
        ]
    if name in ("sigmoid", "tanh"):
        if name == "sigmoid":
            saturated = (A < SIGMOID_SATURATION) | (A > 1 - SIGMOID_SATURATION)
        else:
            saturated = np.abs(A) > TANH_SATURATION
        units = [int(u) + 1 for u in np.flatnonzero(saturated.mean(axis=0) > SATURATION_FRACTION)]
        if not units:
            return []
        return [
            {
                "kind": "saturation",
                "layer": l,
                "layers": [l],
                "units": units,
                "text": (
                    f"layer {l}: unit{'s' * (len(units) > 1)} {', '.join(map(str, units))} "
                    f"{'are' if len(units) > 1 else 'is'} saturated on most training points: "
                    f"{name} is flat there, f'(Z) ≈ 0, so little gradient passes"
                ),
            }
        ]
    return []
