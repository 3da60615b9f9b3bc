"""Storage: the `Store` interface and its SQL implementation."""

from chinwag.store.base import NoSuchRecord, Store, StoreError, UsernameTaken

__all__ = ["NoSuchRecord", "Store", "StoreError", "UsernameTaken"]
