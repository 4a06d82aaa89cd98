"""bytes and bytearray as a raw file."""

from __future__ import annotations

from typing import Any

from gitreg.enums import ArtifactType
from gitreg.materializers.base import Materializer


class BytesMaterializer(Materializer):
    """bytes and bytearray as a raw file."""

    name = "bytes"
    associated_types = (bytes, bytearray)
    artifact_type = ArtifactType.DATA
    file_name = "data.bin"

    def to_bytes(self, obj: Any) -> bytes:
        """The bytes themselves."""
        return bytes(obj)

    def load(self, path: str, data_type: type | None) -> bytes | bytearray:
        """Read the raw file as `data_type` (bytes by default)."""
        with open(path, "rb") as f:
            data = f.read()
        if (
            isinstance(data_type, type)
            and data_type is not bytes
            and issubclass(data_type, (bytes, bytearray))
        ):
            return data_type(data)
        return data
