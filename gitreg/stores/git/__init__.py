"""The git store: registry branch reads and CAS commits."""

from gitreg.stores.git.repository import (
    CommitWriter,
    Delete,
    GitStore,
    Op,
    Put,
    Snapshot,
    discover,
)

__all__ = ["CommitWriter", "Delete", "GitStore", "Op", "Put", "Snapshot", "discover"]
