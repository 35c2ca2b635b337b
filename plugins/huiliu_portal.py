"""Airflow plugin: the huiliu portal under Airflow 3's API server, at ``/huiliu/portal``."""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.plugins_manager import AirflowPlugin

from huiliu.portal.app import PortalOnFirstRequest

URL_PREFIX = "/huiliu/portal"


class HuiliuPortalPlugin(AirflowPlugin):
    name = "huiliu_portal"
    fastapi_apps: ClassVar[list[dict[str, Any]]] = [
        {"app": PortalOnFirstRequest(), "url_prefix": URL_PREFIX, "name": "huiliu portal 回流门户"}
    ]
