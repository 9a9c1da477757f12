"""The glass box: look inside backpropagation (gradient checks; traces and diagnosis later)."""

from .gradcheck import GradientCheck, gradient_check

__all__ = ["GradientCheck", "gradient_check"]
