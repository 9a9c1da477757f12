"""Reading and writing models: glassnet model files, and ONNX export (``glassnet.io.onnx``
for a network, :func:`to_onnx` for a tabular model on raw rows; both need the optional
``onnx`` package, imported only when they run); safetensors files that PyTorch's
``nn.Sequential`` loads, and PyTorch MLPs' as networks (:mod:`glassnet.io.safetensors`)."""

from .archive import LIMITS, Limits, ModelFileError
from .files import atomic_savez, atomic_write_bytes, atomic_write_text
from .model_file import SavedModel, load_model, save_model
from .onnx_raw import to_onnx
from .safetensors import load_safetensors, save_safetensors

__all__ = [
    "LIMITS",
    "Limits",
    "ModelFileError",
    "SavedModel",
    "atomic_savez",
    "atomic_write_bytes",
    "atomic_write_text",
    "load_model",
    "load_safetensors",
    "save_model",
    "save_safetensors",
    "to_onnx",
]
