"""The data store: artifact bytes in a DVC cache and remote."""

from gitreg.stores.data.memory import MemoryRemote
from gitreg.stores.data.objects import Listed, StoredObject
from gitreg.stores.data.remotes import DvcRemote, LocalRemote, Remote, RemoteSpec
from gitreg.stores.data.storage import DataStore

__all__ = [
    "DataStore",
    "DvcRemote",
    "Listed",
    "LocalRemote",
    "MemoryRemote",
    "Remote",
    "RemoteSpec",
    "StoredObject",
]
