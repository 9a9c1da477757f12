"""What the playground hands out: the model file, a trace spec, Python code and a link.

- the model file is :func:`glassnet.io.save_model`'s, the same that ``glassnet train``
  writes, so ``glassnet predict`` and :func:`glassnet.io.load_model` read it;
- the trace spec (:mod:`glassnet.inspect.spec`) holds the current weights and the current
  mini-batch: ``glassnet trace`` of it takes the next step from here, written out;
- the Python code builds the same network from the same seed (the same initial weights
  as a reset) and trains it on the same data with :meth:`Network.fit`;
- the link carries the settings in its fragment, ``#state=`` and the standard base64 of
  their UTF-8 JSON, which the page reads back on load.
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..io import save_model
from ..layers import Dense, Dropout
from ..losses import loss_for_task
from .session import Session

PYTHON_TEMPLATE = '''"""A network built in the glassnet playground: {description}.

Run it to train it as the page does (epochs of shuffled mini-batches) and print its loss on
the test set; import it to get the untrained network, the one the page resets to.
"""

import numpy as np

from glassnet import Network
from glassnet.layers import Dense, Dropout
from glassnet.optimizers import get_optimizer

# The {dataset} data set: points (x, y) scaled into [-1, 1]² and their {what}.
X_train = np.array({X_train})
y_train = np.array({y_train})
X_test = np.array({X_test})
y_test = np.array({y_test})

# The page's two random streams: the initial weights from one, dropout masks from the other.
init_seed, dropout_seed = np.random.SeedSequence([{seed}, 1]).spawn(2)
init, masks = np.random.default_rng(init_seed), np.random.default_rng(dropout_seed)
network = Network(
    [
{layers}
    ],
    {loss!r},
    l2={l2!r},
    l1={l1!r},
)

if __name__ == "__main__":
    history = network.fit(
        X_train,
        y_train,
        epochs={epochs},
        batch_size={batch_size},
        optimizer=get_optimizer({optimizer!r}, learning_rate={learning_rate!r}),
        validation_data=(X_test, y_test),
        seed={seed},
    )
    print("test loss:", network.evaluate(X_test, y_test)["loss"])
'''


def model_bytes(session: Session) -> bytes:
    """The network as a glassnet model file, with the settings in its metadata."""
    with session.lock:
        config = session.config.to_dict()
        if config.get("csv"):  # the file's columns, not its rows
            config["csv"] = {k: v for k, v in config["csv"].items() if k != "text"}
        classes = session.data.classes or None
        with tempfile.TemporaryDirectory(prefix="glassnet-playground-") as folder:
            path = Path(folder) / "model.glassnet"
            save_model(
                path,
                session.network,
                classes=classes,
                metadata={"source": "glassnet playground", "playground": config},
            )
            return path.read_bytes()


def trace_spec(session: Session) -> dict[str, Any]:
    """A trace spec of the network as it is and its current mini-batch."""
    with session.lock:
        network, config = session.network, session.config
        indices = session.batch()
        layers: list[dict[str, Any]] = []
        for layer in network.layers:
            if isinstance(layer, Dropout):
                layers.append({"type": "dropout", "rate": layer.rate})
                continue
            assert isinstance(layer, Dense)
            entry: dict[str, Any] = {
                "activation": layer.activation.name,
                "W": layer.W.tolist(),
                "b": layer.b.tolist(),
            }
            if layer.norm is not None:
                norm = layer.norm
                entry["batch_norm"] = {
                    "gamma": norm.gamma.tolist(),
                    "beta": norm.beta.tolist(),
                    "momentum": norm.momentum,
                    "epsilon": norm.epsilon,
                }
            layers.append(entry)
        return {
            "name": f"playground-{config.dataset}",
            "description": (
                f"The playground's network after {_steps(session.step_count)} (epoch "
                f"{session.epoch}) and its current mini-batch of {len(indices)} training "
                "points; tracing it takes the next step from these weights, with the "
                "optimizer's state starting afresh."
            ),
            "source": "glassnet playground",
            "layers": layers,
            "loss": network.loss.name,
            "l2": network.l2,
            "l1": network.l1,
            "optimizer": {"name": config.optimizer, "learning_rate": config.learning_rate},
            "seed": config.seed,
            "dtype": "float64",
            "X": session.X_train[indices].tolist(),
            "Y": session.Y_train[indices].tolist(),
        }


def python_code(session: Session) -> str:
    """Python that builds the same network (the same initial weights as a reset) and
    trains it on the same data."""
    with session.lock:
        config, data = session.config, session.data
        epochs = session.epoch or 100
        lines, n_in = [], 2
        for hidden in config.layers:
            norm = ", batch_norm=True" if config.batch_norm else ""
            lines.append(
                f"        Dense({n_in}, {hidden.units}, {hidden.activation!r}{norm}, "
                'rng=init, dtype="float64"),'
            )
            if hidden.dropout > 0:
                lines.append(f"        Dropout({hidden.units}, {hidden.dropout!r}, rng=masks),")
            n_in = hidden.units
        task_loss = loss_for_task(data.task)
        activation, loss = task_loss.output_activation, task_loss.name
        n_out = task_loss.output_units(len(data.classes))
        lines.append(f'        Dense({n_in}, {n_out}, {activation!r}, rng=init, dtype="float64"),')
        what = "class indices" if task_loss.is_classification else "target values"
        return PYTHON_TEMPLATE.format(
            description=_describe(session),
            dataset=config.dataset,
            what=what,
            X_train=_literal(data.X_train),
            y_train=_literal(data.y_train),
            X_test=_literal(data.X_test),
            y_test=_literal(data.y_test),
            seed=config.seed,
            layers="\n".join(lines),
            loss=loss,
            l2=config.l2,
            l1=config.l1,
            epochs=epochs,
            batch_size=config.batch_size,
            optimizer=config.optimizer,
            learning_rate=config.learning_rate,
        )


def _steps(count: int) -> str:
    return f"{count} step{'s' * (count != 1)}"


def _describe(session: Session) -> str:
    config = session.config
    sizes = [2, *(hidden.units for hidden in config.layers)]
    activations = ", ".join(hidden.activation for hidden in config.layers) or "no hidden layer"
    return (
        f"a {'-'.join(map(str, sizes))}-output network ({activations}) on the "
        f"{config.dataset} set, {config.optimizer} with learning rate {config.learning_rate:g}"
    )


def _literal(values: np.ndarray) -> str:
    """A NumPy array as a Python list literal, a few numbers a line."""
    items = [repr(row) for row in values.tolist()]
    per_line = 4 if values.ndim == 2 else 10
    rows = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[\n    " + ",\n    ".join(rows) + ",\n]" if rows else "[]"


def state_url(session: Session, base: str) -> str:
    """``base`` with the settings in the fragment: ``#state=`` + base64 of their JSON."""
    with session.lock:
        settings = json.dumps(session.config.to_dict(), separators=(",", ":"))
    encoded = base64.b64encode(settings.encode("utf-8")).decode("ascii")
    return f"{base}#state={encoded}"
