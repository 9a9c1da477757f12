"""Reading and writing models: glassnet model files (and ONNX export)."""

from .model_file import ModelFileError, SavedModel, load_model, save_model

__all__ = ["ModelFileError", "SavedModel", "load_model", "save_model"]
