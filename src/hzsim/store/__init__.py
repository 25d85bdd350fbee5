"""Durable state: SQLAlchemy tables, canonical documents, list queries and migrations."""

from hzsim.store.database import ConcurrentUpdate, Store, Transaction

__all__ = ["ConcurrentUpdate", "Store", "Transaction"]
