"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from huiliu.settings import Settings
from huiliu.store.db import current_revision, head_revision, upgrade
from huiliu.store.models import Base


def _differences(url: str) -> list[object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return [
                d
                for d in compare_metadata(context, Base.metadata)
                if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
            ]
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrating_a_new_store_yields_the_models_schema(
    kind: str, huiliu_home: Settings, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{huiliu_home.home / 'fresh.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    upgrade(url)

    assert current_revision(url) == head_revision()
    assert _differences(url) == []
