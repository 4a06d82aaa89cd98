"""`gitreg.model` (ZenML's module path): `gitreg.model.model.Model`, `gitreg.model.utils`."""
