"""A model for tables: the preprocessing, the network, the class labels and the target
scale, trained, saved and used together (what ``glassnet train`` writes and ``glassnet
predict`` reads)."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import Array
from ..data import Preprocessor, sniff
from ..data.files import is_table_file, load_table
from ..distributed import Communicator, communicator_of
from ..io import load_model, save_model
from ..losses import Task, loss_for_task
from ..network import Network
from ..training import Callback, History, Snapshot
from ..training.checkpoint import Checkpoint, network_at
from ..training.options import DEFAULTS, make_callbacks, make_optimizer
from ..training.options import settings_from as training_settings
from ..training.row_defaults import check_watchable
from .cache import prepare_cached
from .checkpoints import Checkpointed
from .columns import ColumnPlan, warn_unseen_categories
from .images import IMAGE_ID, image_rows
from .inputs import is_path
from .outputs import Predictions, encode_truth, predictions_from_output
from .prepare import Prepared, build_network, default_metrics, target_names
from .rows import Rows, read_rows
from .saved_checks import model_parts
from .scores import Evaluation, classification_scores, regression_scores, several_scores
from .search import fit_searched, refitted, searching, with_defaults
from .sources import naming
from .units import TargetUnits, to_units


@dataclass
class Model:
    """A network with the preprocessing of its inputs and the meaning of its outputs.

    >>> model = Model.fit(frame, "species", epochs=30, seed=0)   # or Model.fit(X, y)
    >>> model.predict(new_frame)          # labels as the training data wrote them
    >>> model.evaluate(test_frame)        # {"accuracy": …, "f1_macro": …, "log_loss": …}
    >>> model.save("species.glassnet")    # the file glassnet predict reads
    """

    network: Network
    task: Task
    preprocessor: Preprocessor | None = None
    """Turns a :class:`~glassnet.data.Table` into the network's input; ``None`` when the
    model takes numeric arrays directly."""
    classes: list[Any] | None = None
    """The label of each class index, for classification."""
    target: str | None = None
    target_scale: tuple[Any, Any] | None = None
    """``(mean, std)``: regression targets are learned standardized and scaled back (for
    several targets, arrays ``(k,)`` of one mean and one std per target)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    history: History | None = field(default=None, compare=False, repr=False)
    """The loss and metrics per epoch of the last :meth:`train` (not saved)."""

    # -- training -----------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        data: Any,
        target: Any = None,
        *,
        drop: Sequence[str] = (),
        id: str | None = None,
        callbacks: Sequence[Callback] = (),
        verbose: bool = False,
        resume: Snapshot | Checkpointed[Model] | None = None,
        distributed: bool | Communicator = False,
        **options: Any,
    ) -> Model:
        """Train a model on a table: :func:`prepare` (a large file's rows through
        :mod:`.cache`), :meth:`build`, :meth:`train`. ``data``: a CSV (or .npz, .npy,
        .parquet) path, a DataFrame, a Table, a dict of columns, or an array ``X`` ``(m, n)``
        with the targets ``y`` as ``target``; else ``target`` names the target column(s)
        (default: the last). ``drop``: columns to leave out; ``id``: a column given back
        beside each prediction. ``options``: those of ``glassnet train`` by their Python
        names (``epochs=30``, ``lr=1e-3``, …), with its defaults and :func:`.defaults_for_rows`
        for those not given (up to 20,000 rows, a search: several runs averaged, :mod:`.search`;
        else one run and a refit on every row). ``distributed``: on every rank of an MPI job."""
        names = target_names(data, target, options.get("delimiter"), None, options.get("encoding"))
        # Kept with the options (where the table has them): a run's settings reproduce it.
        columns = {k: v for k, v in (("drop", list(drop)), ("id", id)) if v and k in DEFAULTS}
        chosen = training_settings({**options, **columns}, target=",".join(names or []) or None)
        with naming(data):
            comm = communicator_of(distributed)  # of a CSV file, each rank reads a shard
            prepared = prepare_cached(data, target, settings=chosen, drop=drop, id=id, across=comm)
        if prepared.n_dropped:
            warnings.warn(
                f"{prepared.n_dropped} row(s) without a target were dropped", stacklevel=2
            )
        asked = [*drop, *([id] if id is not None else [])]
        found = [] if prepared.columns is None else prepared.columns.notes(skip=asked)
        if found:  # what was decided, not asked for: say it, on one line
            warnings.warn("columns: " + "; ".join(found), stacklevel=2)
        # Checkpoints are of one run (a search keeps none): resumed, it gets the same defaults.
        keeps = any(isinstance(callback, Checkpoint) for callback in callbacks)
        alone = resume is None and distributed is False and not keeps
        given = [*(k for k, v in options.items() if v is not None), *columns]  # None: default
        chosen = with_defaults(chosen, given, prepared, alone)
        rest: dict[str, Any] = {"verbose": verbose, "distributed": distributed}

        def fit_one(settings: dict[str, Any], extra: list[Callback], mine: bool) -> Model:
            again = {k: v for k, v in settings.items() if k not in ("drop", "id", "target")}
            each = [*callbacks, *extra] if mine else extra  # a refit: the search's own only
            return cls.fit(data, target, drop=drop, id=id, callbacks=each, **again, **rest)

        if searching(chosen):  # several runs averaged into one network (.search)
            rest["verbose"], say = False, (print if verbose else None)  # a line a run
            has_validation, resuming = prepared.X_val is not None, resume is not None
            width = prepared.n_features  # to refuse a merge too large
            return fit_searched(fit_one, chosen, has_validation, say, width, resuming)[0]
        model = cls.build(prepared, chosen)
        model.train(prepared, callbacks=callbacks, resume=resume, **rest)
        return refitted(fit_one, chosen, model)

    @property
    def n_epochs(self) -> int:
        """Epochs trained (0 before training)."""
        return 0 if self.history is None else len(self.history.epoch)

    def refit_epochs(self) -> int | None:
        """The epoch count a refit on every row trains for: the epoch of the best
        validation loss, when the settings ask for a refit and there were validation rows."""
        history = self.history
        if not self.settings.get("refit") or history is None or "val_loss" not in history.logs:
            return None
        return int(np.argmin(history.logs["val_loss"])) + 1

    @classmethod
    def build(cls, data: Prepared, settings: dict[str, Any] | None = None) -> Model:
        """An untrained model for ``data``: the network the options ask for, with the data's
        preprocessing, classes and target scale; the options (and the data file) are kept
        in ``metadata``, so that a checkpoint can be resumed."""
        chosen = training_settings(settings)
        metadata: dict[str, Any] = {"settings": chosen, "task_reason": data.task_reason}
        if not data.in_memory:
            metadata["data"] = data.data_file
        if len(data.targets) > 1:
            metadata["targets"] = list(data.targets)
        if data.columns is not None:
            metadata["columns"] = data.columns.to_list()
        if data.dialect is not None:
            metadata["dialect"] = data.dialect
        if data.images is not None:
            metadata["images"] = data.images
        parts = data.task, data.preprocessor, data.classes, data.target, data.target_scale
        return cls(build_network(data, chosen), *parts, metadata)

    @property
    def settings(self) -> dict[str, Any]:
        """The training options this model was built with (every one, checked)."""
        saved = self.metadata.get("settings")
        if not isinstance(saved, dict):
            raise ValueError(
                "this model has no training options: it was not built by glassnet train or "
                "Model.fit"
            )
        return training_settings(saved)

    def train(
        self,
        data: Prepared,
        *,
        callbacks: Sequence[Callback] = (),
        verbose: bool = False,
        resume: Snapshot | Checkpointed[Model] | None = None,
        distributed: bool | Communicator = False,
    ) -> History:
        """Train the network on ``data`` as :attr:`settings` say, with
        :func:`glassnet.training.fit`: the options' optimizer, schedule and early stopping,
        then ``callbacks``. ``resume`` (a checkpoint's snapshot) continues a run exactly.
        ``distributed``: on every rank of an MPI job, as :func:`glassnet.training.fit`."""
        chosen = self.settings
        validation = None if data.X_val is None or data.y_val is None else (data.X_val, data.y_val)
        if validation is None:  # said before training, not after its first epoch
            check_watchable(data.n_rows, chosen)
        in_units: list[Callback] = []
        training = (data.X_train, data.y_train)
        if self.target_scale is not None and not self._classifies:
            in_units.append(TargetUnits(self.network, self.target_scale, training, validation))
        self.history = self.network.fit(
            data.X_train,
            data.y_train,
            epochs=chosen["epochs"],
            batch_size=chosen["batch_size"] or None,
            optimizer=make_optimizer(chosen["optimizer"], chosen["lr"], chosen["weight_decay"]),
            validation_data=validation,
            seed=chosen["seed"],
            class_weight=chosen["class_weight"],
            clip_norm=chosen["clip_norm"],
            clip_value=chosen["clip_value"],
            metrics=chosen["metrics"] or default_metrics(self.task, len(self.targets)),
            callbacks=[*in_units, *make_callbacks(chosen), *callbacks],
            verbose=verbose,
            resume=resume.snapshot if isinstance(resume, Checkpointed) else resume,
            augment=chosen["augment"],
            distributed=distributed,
        )
        return self.history

    def at(self, snapshot: Snapshot) -> Model:
        """The model as it was at a checkpoint's epoch: a copy with the snapshot's
        parameters and buffers, not the live ones."""
        return replace(self, network=network_at(self.network, snapshot), history=None)

    def save_checkpoint(
        self, folder: str | os.PathLike[str], snapshot: Snapshot
    ) -> Checkpointed[Model]:
        """Write the model at a snapshot's epoch, with the snapshot, to
        ``folder/epoch-NNNN.glassnet`` (what ``glassnet train --resume`` reads)."""
        at_epoch = self.at(snapshot)
        epoch = int(snapshot["epoch"])
        path = at_epoch.save(Path(folder) / f"epoch-{epoch:04d}.glassnet", training=snapshot)
        return Checkpointed(at_epoch, snapshot, str(path))

    def validation_predictions(self, data: Prepared) -> tuple[Array, Array] | None:
        """``(y_true, y_pred)`` of ``data``'s validation rows: class indices, or values in
        the target's units; ``None`` without validation rows."""
        if data.X_val is None or data.y_val is None:
            return None
        predicted, y_true = self.network.predict(data.X_val), data.y_val
        if self.target_scale is not None and not self._classifies:
            predicted = to_units(predicted, self.target_scale)
            y_true = to_units(y_true, self.target_scale)
        return np.asarray(y_true), np.asarray(predicted)

    @property
    def targets(self) -> list[str]:
        """The target columns' names: one, or several (one output each)."""
        several = self.metadata.get("targets")
        if isinstance(several, list):
            return [str(name) for name in several]
        return [] if self.target is None else [self.target]

    @property
    def columns(self) -> ColumnPlan | None:
        """What the model does with each input column (``None``: a model saved before
        columns were planned, which takes its preprocessing's columns as they are)."""
        plan = self.metadata.get("columns")
        return None if plan is None else ColumnPlan.from_list(plan)

    @property
    def _several(self) -> bool:
        return len(self.targets) > 1

    # -- data in ------------------------------------------------------------------------

    def rows(self, data: Any, delimiter: str | None = None, encoding: str | None = None) -> Rows:
        """``data``'s rows as this model takes them, with the target column if present
        (see :func:`~glassnet.tabular.read_rows`).

        A CSV file is read as it is written (its dialect detected), so that a comma file
        and a semicolon file of the same rows predict alike; the dialect of the training
        file is the fallback where detection finds nothing, and ``delimiter`` and
        ``encoding`` (a Windows file's ``cp1252``) win over both.
        """
        if self.metadata.get("images") is not None:  # a folder or a list of image files
            return image_rows(data, self.metadata["images"])
        if is_path(data) and is_table_file(data):  # .npz, .npy, .parquet: a table, not CSV
            data = load_table(data)
        dialect = self.metadata.get("dialect")
        if delimiter is None and dialect is None:  # the one the model was trained with
            delimiter = self.metadata.get("settings", {}).get("delimiter") or None
        if (delimiter is None or encoding is not None) and is_path(data):
            with contextlib.suppress(ValueError):
                dialect = sniff(data, delimiter=delimiter, encoding=encoding).to_dict()
        with naming(data):
            return read_rows(
                data,
                preprocessor=self.preprocessor,
                target=self.targets,
                n_features=self.network.n_features,
                delimiter=delimiter,
                plan=self.columns,
                dialect=dialect if isinstance(dialect, dict) else None,
            )

    def features(self, data: Any) -> Array:
        """The network's input ``(m, n_0)``: ``data``'s input columns through the
        preprocessing (``data`` as :meth:`rows` takes it), or, for a model of numbers alone,
        its array of numbers."""
        rows = data if isinstance(data, Rows) else self.rows(data)
        if self.preprocessor is None:
            return self.network.check_X(rows.features)
        assert not isinstance(rows.features, np.ndarray)
        warn_unseen_categories(self.preprocessor, rows.features)
        return self.preprocessor.transform(rows.features)

    def encode_target(self, values: Array) -> Array:
        """Targets ``(m,)`` (``(m, k)`` for several) as the network learns them: class
        indices, or ``(y − mean) / std``."""
        return encode_truth(values, self._classifies, self.classes, self.target_scale)

    def examples(
        self, data: Any, rows: int | None = None, delimiter: str | None = None
    ) -> tuple[Array, Array]:
        """``(X, Y)`` for the network: the input ``(m, n_0)`` and the encoded targets of the
        first ``rows`` rows of ``data`` that have a target (for gradient checks, diagnosis)."""
        labelled = self.rows(data, delimiter).labelled(
            "(gradient checks and diagnosis need targets)"
        )
        if rows is not None:
            labelled = labelled.take(np.arange(min(rows, len(labelled))))
        assert labelled.target is not None
        return self.features(labelled), self.encode_target(labelled.target)

    # -- data out -----------------------------------------------------------------------

    def output(self, data: Any) -> Array:
        """The network's output ``A^[L]`` for ``data``: one forward pass, which
        :meth:`proba_from` and :meth:`predictions_from` read without running it again;
        a ValueError, not NaN predictions, where the network's numbers overflow."""
        with np.errstate(over="ignore", invalid="ignore"):
            A = self.network.predict_output(self.features(data))
        if not np.isfinite(A).all():
            rows = int((~np.isfinite(A)).any(axis=1).sum())
            raise ValueError(
                f"the network's output is NaN or inf for {rows:,} of {len(A):,} rows: its "
                "parameters are too large for these inputs (a diverged or edited model)"
            )
        return A

    def predict_proba(self, data: Any) -> Array:
        """Class probabilities ``(m, K)`` (for binary: ``[P(class 0), P(class 1)]``)."""
        return self.proba_from(self.output(data))

    def predict(self, data: Any) -> Array:
        """Class labels (as the training data wrote them: integers, floats, booleans or
        text) or values in the target's units, ``(m,)``; ``(m, k)`` for ``k`` targets."""
        return self.predictions_from(self.output(data))

    def predictions(
        self,
        data: Any,
        proba: bool = False,
        delimiter: str | None = None,
        encoding: str | None = None,
    ) -> Predictions:
        """:meth:`predict` with the id of each row (where the model has an id column and
        ``data`` holds it) and, with ``proba``, the class probabilities: what ``glassnet
        predict`` writes (:meth:`Predictions.columns`, :meth:`Predictions.to_frame`)."""
        rows = self.rows(data, delimiter, encoding)
        output = self.output(rows)
        plan = self.columns
        return Predictions(
            self.predictions_from(output),
            self.targets,
            rows.ids,
            IMAGE_ID if "images" in self.metadata else None if plan is None else plan.id_column,
            self.proba_from(output) if proba else None,
            self.classes,
        )

    def proba_from(self, A: Array) -> Array:
        """Class probabilities from the network's output ``A`` (see :meth:`predict_proba`)."""
        return self.network.loss.probabilities(A)

    def predictions_from(self, A: Array) -> Array:
        """Labels or target-unit values from the network's output ``A`` (see :meth:`predict`)."""
        return predictions_from_output(
            A, self.network.loss, self.classes, self.target_scale, self._several
        )

    def evaluate(
        self, data: Any, y: Any = None, *, delimiter: str | None = None, encoding: str | None = None
    ) -> dict[str, float]:
        """The metrics on ``data``'s rows that have a target (``y``, when ``data`` holds only
        features such as an array ``X``): ``rmse``, ``mae`` and ``r2`` in the target's
        units, or ``accuracy``, ``f1_macro`` and ``log_loss``."""
        return self.evaluation(data, y, delimiter=delimiter, encoding=encoding).metrics

    def evaluation(
        self, data: Any, y: Any = None, *, delimiter: str | None = None, encoding: str | None = None
    ) -> Evaluation:
        """:meth:`evaluate` with what it compared: the truth and the predictions, and for
        a classifier the per-class report and the confusion matrix."""
        rows = self.rows(data, delimiter, encoding)
        if y is not None:
            truth = np.asarray(y)
            if truth.ndim == 0 or len(truth) != len(rows):
                raise ValueError(
                    f"y has {truth.size} value(s), but the data has {len(rows)} row(s)"
                )
            rows = replace(rows, target=truth)
        rows = rows.labelled("to evaluate against")
        assert rows.target is not None
        output = self.output(rows)
        predicted = self.predictions_from(output)
        if self._several:
            proba = self.proba_from(output) if self._classifies else None
            return several_scores(rows.target, predicted, proba, self.classes, self.targets)
        if not self._classifies:
            return regression_scores(rows.target, predicted)
        assert self.classes is not None
        return classification_scores(rows.target, predicted, self.proba_from(output), self.classes)

    @property
    def _classifies(self) -> bool:
        return loss_for_task(self.task).is_classification

    # -- files --------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str], training: Snapshot | None = None) -> Path:
        """Write the model file (atomically); ``training`` adds a checkpoint's state."""
        metadata = {
            **self.metadata,
            "task": self.task,
            "target": self.target,
            "target_scale": None
            if self.target_scale is None
            else [np.asarray(part).tolist() for part in self.target_scale],
        }
        return save_model(
            path,
            self.network,
            preprocessor=None if self.preprocessor is None else self.preprocessor.to_dict(),
            classes=self.classes,
            metadata=metadata,
            training=training,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """The model in a file (see :func:`load_checkpoint` for a checkpoint's state too);
        a :class:`~glassnet.io.ModelFileError` for a file whose parts do not fit."""
        return cls(**model_parts(load_model(path), path))
