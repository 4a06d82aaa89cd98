"""`gitreg.metadata` (ZenML's module path): special metadata types."""

from gitreg.metadata.metadata_types import DType, MetadataType, Path, StorageSize, Uri

__all__ = ["DType", "MetadataType", "Path", "StorageSize", "Uri"]
