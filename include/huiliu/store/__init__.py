"""The governance store: units, datasets, batches, watermarks and lineage, behind Alembic migrations."""
