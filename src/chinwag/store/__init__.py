"""Storage: the `Store` interface and its SQL implementation."""

from chinwag.store.base import Store
from chinwag.store.records import NameTaken, NoSuchRecord, StoreError, UsernameTaken

__all__ = ["NameTaken", "NoSuchRecord", "Store", "StoreError", "UsernameTaken"]
