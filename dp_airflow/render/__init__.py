"""Stage 7, render: a plan described as constructor calls, instantiated as an Airflow DAG or
written out as a Python DAG file.
"""
