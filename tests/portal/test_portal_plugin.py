"""The portal as an Airflow 3 plugin: a valid plugin whose FastAPI app, mounted the way Airflow's API
server mounts plugin apps, answers over HTTP under its prefix."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import httpx
from fastapi import FastAPI

from huiliu.settings import Settings
from tests.helpers.portal import serving

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "huiliu_portal.py"


def test_the_plugin_mounts_the_portal_under_its_prefix(huiliu_home: Settings) -> None:
    from airflow import plugins_manager

    spec = importlib.util.spec_from_file_location("huiliu_portal_plugin", PLUGIN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    plugin = module.HuiliuPortalPlugin
    assert plugins_manager.is_valid_plugin(plugin)
    (entry,) = plugin.fastapi_apps

    api_server = FastAPI()
    api_server.mount(entry["url_prefix"], entry["app"])  # as airflow.api_fastapi.app.init_plugins does
    with serving(api_server) as url:
        assert httpx.get(f"{url}/huiliu/portal/healthz").json() == {"status": "ok"}
        refused = httpx.get(f"{url}/huiliu/portal/api/v1/datasets")
        assert (refused.status_code, refused.json()["code"]) == (401, "token_invalid")
