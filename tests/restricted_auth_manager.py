"""An auth manager for the UI access test: Airflow's simple auth manager, except that the user
``bob`` may not read DAGs whose id starts with ``hidden``."""

from __future__ import annotations

from typing import Any

from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager


class RestrictedAuthManager(SimpleAuthManager):
    def is_authorized_dag(
        self, *, method: Any, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        dag_id = getattr(details, "id", None) or ""
        if user.get_name() == "bob" and dag_id.startswith("hidden"):
            return False
        return bool(
            super().is_authorized_dag(
                method=method, user=user, access_entity=access_entity, details=details
            )
        )
