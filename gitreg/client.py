"""`gitreg.client.Client` (ZenML's module path)."""

from gitreg.api.client import Client

__all__ = ["Client"]
