"""Cross-department reconciliation: checks that no single dataset can make on its own.

* `huiliu.reconciliation.spec`: the checks as reviewed config (``include/checks/reconciliation.yaml``).
* `huiliu.reconciliation.checks`: pure check functions over Arrow tables (DuckDB).
* `huiliu.reconciliation.runner`: `run_reconciliation` reads curated data, runs every check, writes
  the report, stores the run and its flags, and emits lineage.
* `huiliu.reconciliation.store`: reconciliation runs and flagged records in the governance store.
* `huiliu.reconciliation.report`: the report's JSON and its Chinese and English pages.

This package imports nothing heavy at import time, so DAG files can load the spec cheaply.
"""
