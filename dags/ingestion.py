"""One ingestion DAG per dataset contract in include/contracts/."""

from huiliu.airflow.dag_factory import build_ingestion_dags

globals().update(build_ingestion_dags())
