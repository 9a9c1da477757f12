"""Reading and writing models: glassnet model files, and ONNX export (``glassnet.io.onnx``,
which needs the optional ``onnx`` package)."""

from .archive import LIMITS, Limits, ModelFileError
from .files import atomic_savez, atomic_write_bytes, atomic_write_text
from .model_file import SavedModel, load_model, save_model

__all__ = [
    "LIMITS",
    "Limits",
    "ModelFileError",
    "SavedModel",
    "atomic_savez",
    "atomic_write_bytes",
    "atomic_write_text",
    "load_model",
    "save_model",
]
