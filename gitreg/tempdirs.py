"""Folders for loaded copies of file and folder artifacts.

They live under one folder per process, removed when the process exits, so loading
artifacts in a loop does not fill the disk. Copy a loaded path elsewhere to keep it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading

_root: str | None = None
_lock = threading.Lock()


def _remove(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def new_dir(prefix: str = "load-") -> str:
    """A new empty folder that lasts until this process exits."""
    global _root
    with _lock:
        if _root is None or not os.path.isdir(_root):
            _root = tempfile.mkdtemp(prefix=f"gitreg-{os.getpid()}-")
            atexit.register(_remove, _root)
    return tempfile.mkdtemp(prefix=prefix, dir=_root)
