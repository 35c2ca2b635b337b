-- databases and role of huiliu beside Airflow's metadata database
CREATE ROLE huiliu LOGIN PASSWORD 'huiliu';
CREATE DATABASE huiliu_governance OWNER huiliu;
CREATE DATABASE huiliu_catalog OWNER huiliu;
