"""The cross-department reconciliation DAG (checks in include/checks/reconciliation.yaml)."""

from huiliu.airflow.reconciliation_dag import build_reconciliation_dag

reconcile_city = build_reconciliation_dag()
