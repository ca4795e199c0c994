"""Import every context's tables so Base.metadata is complete (Alembic, tests)."""

from vigie.accounts import storage as accounts_storage
from vigie.db import Base
from vigie.reports import storage as reports_storage

metadata = Base.metadata

__all__ = ["metadata", "accounts_storage", "reports_storage"]
