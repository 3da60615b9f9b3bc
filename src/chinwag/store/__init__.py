"""Storage: the `Store` interface and its SQL implementation."""

from chinwag.store.base import NameTaken, NoSuchRecord, Store, StoreError, UsernameTaken

__all__ = ["NameTaken", "NoSuchRecord", "Store", "StoreError", "UsernameTaken"]
