# huiliu image: Airflow 3 + the huiliu library, installed from the pinned constraints.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 AIRFLOW_HOME=/opt/airflow
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/huiliu
COPY pyproject.toml constraints.txt README.md ./
COPY include ./include
RUN pip install --no-cache-dir uv==0.13.8 \
    && uv pip install --system --no-cache -c constraints.txt -e .
COPY dags ./dags
COPY plugins ./plugins
COPY expectations ./expectations
ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/huiliu/dags AIRFLOW__CORE__PLUGINS_FOLDER=/opt/huiliu/plugins
