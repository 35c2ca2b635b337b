"""Keep the governance store's administrative units in step with the hierarchy."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from huiliu.divisions import Hierarchy
from huiliu.store.db import session_scope
from huiliu.store.models import Account, AdminUnit, DatasetGrant

log = logging.getLogger(__name__)


def sync_units(hierarchy: Hierarchy, url: str | None = None) -> int:
    """Store the hierarchy's units (added, renamed, moved); returns how many units it holds.

    A stored unit the hierarchy no longer has is removed, unless an account or a grant still names
    it: those stay (and are logged), so the history of who belonged where and what was granted holds.
    """
    with session_scope(url) as session:
        stored = {u.code: u for u in session.scalars(select(AdminUnit))}
        for unit in hierarchy.units.values():
            row = stored.pop(unit.code, None)
            if row is None:
                session.add(
                    AdminUnit(code=unit.code, name=unit.name, level=unit.level, parent_code=unit.parent_code)
                )
            else:
                row.name, row.level, row.parent_code = unit.name, unit.level, unit.parent_code
        if stored:
            named = set(session.scalars(select(Account.unit_code).where(Account.unit_code.in_(stored))))
            named |= set(
                session.scalars(select(DatasetGrant.unit_code).where(DatasetGrant.unit_code.in_(stored)))
            )
            for code, row in stored.items():
                if code in named:
                    log.warning(
                        "unit %s is no longer in the hierarchy but accounts or grants name it; kept", code
                    )
                else:
                    session.delete(row)
    return len(hierarchy)


def count_units(url: str | None = None) -> dict[str, int]:
    with session_scope(url) as session:
        rows = session.execute(select(AdminUnit.level, func.count()).group_by(AdminUnit.level))
        return dict(rows.tuples().all())
