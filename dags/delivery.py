"""One delivery DAG per returned dataset: push its curated data to every granted unit's outbox."""

from huiliu.airflow.delivery_dag import build_delivery_dags

globals().update(build_delivery_dags())
