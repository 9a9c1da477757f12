"""Models for tables: what ``glassnet train``, ``predict`` and ``evaluate`` do, as an API.

>>> from glassnet.tabular import Model
>>> model = Model.fit(frame, "species", epochs=30, seed=0)   # a DataFrame, a CSV path,
>>> model.predict(new_frame)                                 # a Table, or Model.fit(X, y)
>>> model.evaluate(test_frame)      # {"accuracy": …, "f1_macro": …, "log_loss": …}
>>> model.save("species.glassnet")

==============  ===========================================================================
``inputs``      data in: CSV files, DataFrames, Tables, dicts of columns and arrays as a
                :class:`~glassnet.data.Table` (:func:`table_of`)
``rows``        the :class:`Rows` a trained model takes (:func:`read_rows`)
``task``        what a target asks for, and why (:func:`explain_task`, :func:`infer_task`)
``labels``      class labels in their own type (integers, floats, booleans, text)
``targets``     one target or several (one output each), encoded with the task
``columns``     what is done with each input column (:class:`ColumnPlan`: features, dates
                to numbers, the id, dropped and why), unseen categories named
``prepare``     the decisions of a run: :func:`prepare` (missing targets, the task, labels,
                the columns, the validation split, preprocessing fitted on the training
                rows, the target scale), :func:`build_network`, :func:`training_settings`
                (the one option table, checked)
``units``       regression scores in the target's units while training
``outputs``     outputs to labels or values, and :class:`Predictions` with each row's id
``scores``      :class:`Evaluation`: metrics in the target's units and labels
``model``       :class:`Model` (fit, predict, evaluate, save, load) and
                :func:`load_checkpoint`
==============  ===========================================================================

The options and their defaults are those of :data:`glassnet.training.options.TRAIN_OPTIONS`,
the table that the command line's flags and config files read too.
"""

from ..training.options import settings_from as training_settings
from .checkpoints import Checkpointed
from .columns import ColumnPlan, ColumnUse, UnseenCategoryWarning, plan_columns
from .inputs import table_of
from .model import Model
from .outputs import Predictions
from .prepare import Prepared, build_network, default_metrics, demo_data, prepare
from .resume import load_checkpoint
from .rows import Rows, read_rows
from .scores import Evaluation, classification_scores, regression_scores, several_scores
from .task import MAX_CLASSES_FOR_NUMBERS, explain_task, infer_task

__all__ = [
    "MAX_CLASSES_FOR_NUMBERS",
    "Checkpointed",
    "ColumnPlan",
    "ColumnUse",
    "Evaluation",
    "Model",
    "Predictions",
    "Prepared",
    "Rows",
    "UnseenCategoryWarning",
    "build_network",
    "classification_scores",
    "default_metrics",
    "demo_data",
    "explain_task",
    "infer_task",
    "load_checkpoint",
    "plan_columns",
    "prepare",
    "read_rows",
    "regression_scores",
    "several_scores",
    "table_of",
    "training_settings",
]
