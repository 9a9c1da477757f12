"""Data in and out of the trainer: loaders, preprocessing fitted on training data, splits.

==========================  ==========================================================
``idx``                     MNIST-style IDX files: :func:`load_idx`, :func:`load_idx_pair`,
                            :func:`load_mnist_dir`
``table``                   CSV files to a :class:`Table` of named columns: :func:`load_csv`
``dialect``                 how a CSV file is written (delimiter, decimal mark, header row,
                            encoding): :class:`Dialect`, detected by :func:`sniff`
``columns``                 what each column is for: :func:`column_roles` (identifiers,
                            dates, free text, constants), :func:`date_features`
``npz``                     NumPy archives, never unpickled: :func:`load_npz`
``frame``                   pandas DataFrames and in-memory columns to a :class:`Table`:
                            :func:`table_from_frame` (pandas is optional)
``preprocessing``           :class:`StandardScaler`, :class:`MinMaxScaler`,
                            :class:`MedianImputer`, :class:`OneHotEncoder`, :class:`LabelEncoder`
``pipeline``                :class:`Preprocessor`: a whole table to one matrix
``split``                   :func:`train_test_split`, :func:`split_indices`
==========================  ==========================================================

Everything fitted has ``to_dict`` / ``from_dict`` of plain JSON data, for model files.

>>> from glassnet import data
>>> table = data.load_csv("housing.csv", target="median_house_value")
>>> train, test, y_train, y_test = data.train_test_split(table, table.target, seed=0)
>>> pre = data.Preprocessor(scale="standard").fit(train)
>>> X_train, X_test = pre.transform(train), pre.transform(test)   # (m, 13) float64
"""

from .columns import ColumnRole, column_roles
from .dates import DATE_FEATURES, DateFormat, date_features, detect_dates
from .dialect import DELIMITERS, MISSING, Dialect, parse_delimiter, parse_encoding, sniff
from .frame import table_from_frame
from .idx import load_idx, load_idx_pair, load_mnist_dir
from .npz import load_npz
from .pipeline import Preprocessor
from .preprocessing import LabelEncoder, MedianImputer, MinMaxScaler, OneHotEncoder, StandardScaler
from .split import split_indices, train_test_split
from .table import ColumnKind, Table, load_csv

__all__ = [
    "DATE_FEATURES",
    "DELIMITERS",
    "MISSING",
    "ColumnKind",
    "ColumnRole",
    "DateFormat",
    "Dialect",
    "LabelEncoder",
    "MedianImputer",
    "MinMaxScaler",
    "OneHotEncoder",
    "Preprocessor",
    "StandardScaler",
    "Table",
    "column_roles",
    "date_features",
    "detect_dates",
    "load_csv",
    "load_idx",
    "load_idx_pair",
    "load_mnist_dir",
    "load_npz",
    "parse_delimiter",
    "parse_encoding",
    "sniff",
    "split_indices",
    "table_from_frame",
    "train_test_split",
]
