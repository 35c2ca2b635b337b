"""Daily lake maintenance: remove files no table state refers to."""

from huiliu.airflow.maintenance_dag import build_maintenance_dag

lake_maintenance = build_maintenance_dag()
