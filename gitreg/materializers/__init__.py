"""Python object <-> files, a registry keyed by type, pluggable."""

from gitreg.materializers.base import Materializer
from gitreg.materializers.registry import register_materializer

__all__ = ["Materializer", "register_materializer"]
