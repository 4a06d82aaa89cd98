"""`gitreg.model.model.Model` (ZenML's module path)."""

from gitreg.api.model import Model

__all__ = ["Model"]
