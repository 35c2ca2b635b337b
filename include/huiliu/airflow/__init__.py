"""The only part of huiliu that knows Airflow: DAG factory, error mapping, local runner."""
