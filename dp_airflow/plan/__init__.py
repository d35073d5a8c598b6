"""Stage 5, plan: what DAG and tasks a validated pipeline becomes, and the runtime data its tasks
evaluate, as plain data (no Airflow).
"""
