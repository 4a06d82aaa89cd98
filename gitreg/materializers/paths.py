"""pathlib.Path: a copy of the file or of the folder tree it names."""

from __future__ import annotations

import pathlib
import shutil
from typing import Any

from gitreg.enums import ArtifactType
from gitreg.errors import MaterializerError
from gitreg.materializers.base import RemembersExtra


class PathMaterializer(RemembersExtra):
    """A pathlib.Path to a file or a folder: stores a copy of the file or the folder tree."""

    name = "path"
    associated_types = (pathlib.Path,)
    artifact_type = ArtifactType.DATA
    file_name = "data"

    @staticmethod
    def _check(obj: Any) -> pathlib.Path:
        src = pathlib.Path(obj)
        if not src.exists():
            raise MaterializerError(f"cannot save path {str(src)!r}: it does not exist")
        if not (src.is_file() or src.is_dir()):
            raise MaterializerError(
                f"cannot save path {str(src)!r}: it is neither a regular file nor a folder"
            )
        return src

    def saves_dir(self, obj: Any) -> bool:
        """True if `obj` is a folder (save() then creates a folder)."""
        return self._check(obj).is_dir()

    def save(self, obj: Any, path: str) -> None:
        """Copy the file, or the folder tree, to `path`."""
        src = self._check(obj)
        if src.is_dir():
            shutil.copytree(src, path, dirs_exist_ok=True)
        else:
            shutil.copyfile(src, path)

    def extra(self, obj: Any) -> dict[str, Any]:
        """The original file or folder name."""
        return {"filename": pathlib.Path(obj).name}

    def load(self, path: str, data_type: type | None) -> pathlib.Path:
        """A folder copy as is; a file copied under its original name into a fresh temp dir."""
        src = pathlib.Path(path)
        if src.is_dir():
            return src
        if not src.is_file():
            raise MaterializerError(
                f"cannot load path artifact from {path!r}: it is neither a file nor a folder"
            )
        filename = pathlib.Path(str(self._extra.get("filename") or "")).name
        if filename in ("", ".", ".."):
            filename = "data"
        from gitreg.tempdirs import new_dir

        dest = pathlib.Path(new_dir()) / filename
        shutil.copyfile(src, dest)
        return dest
