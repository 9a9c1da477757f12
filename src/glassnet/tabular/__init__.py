"""Models for tables: what ``glassnet train``, ``predict`` and ``evaluate`` do, as an API.

>>> from glassnet.tabular import Model
>>> model = Model.fit(frame, "species", epochs=30, seed=0)   # a DataFrame, a CSV path,
>>> model.predict(new_frame)                                 # a Table, or Model.fit(X, y)
>>> model.evaluate(test_frame)      # {"accuracy": …, "f1_macro": …, "log_loss": …}
>>> model.save("species.glassnet")

==============  ===========================================================================
``inputs``      data in: CSV files, DataFrames, Tables, dicts of columns and arrays as a
                :class:`~glassnet.data.Table` (:func:`table_of`), or as the :class:`Rows`
                a trained model takes (:func:`read_rows`)
``prepare``     the decisions of a run: :func:`prepare` (missing targets, the task, labels,
                the validation split, preprocessing fitted on the training rows, the target
                scale), :func:`build_network`, :func:`training_settings` (the one option
                table, checked)
``scores``      :class:`Evaluation`: metrics in the target's units and labels
``model``       :class:`Model` (fit, predict, evaluate, save, load) and
                :func:`load_checkpoint`
==============  ===========================================================================

The options and their defaults are those of :data:`glassnet.training.options.TRAIN_OPTIONS`,
the table that the command line's flags and config files read too.
"""

from ..training.options import settings_from as training_settings
from .inputs import Rows, read_rows, table_of
from .model import Checkpointed, Model, load_checkpoint
from .prepare import (
    MAX_CLASSES_FOR_NUMBERS,
    Prepared,
    build_network,
    default_metrics,
    demo_data,
    infer_task,
    prepare,
)
from .scores import Evaluation, classification_scores, regression_scores

__all__ = [
    "MAX_CLASSES_FOR_NUMBERS",
    "Checkpointed",
    "Evaluation",
    "Model",
    "Prepared",
    "Rows",
    "build_network",
    "classification_scores",
    "default_metrics",
    "demo_data",
    "infer_task",
    "load_checkpoint",
    "prepare",
    "read_rows",
    "regression_scores",
    "table_of",
    "training_settings",
]
