"""Keep the governance store's administrative units in step with the hierarchy."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from huiliu.divisions import Hierarchy
from huiliu.store.db import session_scope
from huiliu.store.models import AdminUnit


def sync_units(hierarchy: Hierarchy, url: str | None = None) -> int:
    """Replace the stored units with the hierarchy's; returns how many are stored."""
    with session_scope(url) as session:
        session.execute(delete(AdminUnit))
        session.add_all(
            AdminUnit(code=u.code, name=u.name, level=u.level, parent_code=u.parent_code)
            for u in hierarchy.units.values()
        )
    return len(hierarchy)


def count_units(url: str | None = None) -> dict[str, int]:
    with session_scope(url) as session:
        rows = session.execute(select(AdminUnit.level, func.count()).group_by(AdminUnit.level))
        return dict(rows.tuples().all())
