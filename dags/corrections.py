"""Every 15 minutes: file the correction workbooks units dropped in their inbox folders."""

from huiliu.airflow.corrections_dag import build_corrections_dag

corrections_intake = build_corrections_dag()
