"""The data store: artifact bytes in a DVC cache and remote."""

from gitreg.stores.data.storage import DataStore, RemoteSpec, StoredObject

__all__ = ["DataStore", "RemoteSpec", "StoredObject"]
