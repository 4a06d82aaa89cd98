"""The git store: registry branch reads and CAS commits."""

from gitreg.stores.git.repository import Delete, GitStore, Op, Put, Snapshot, discover

__all__ = ["Delete", "GitStore", "Op", "Put", "Snapshot", "discover"]
