"""Resolve a contract's connection name to a database URL or a drop folder.

Order: the ``HUILIU_SOURCE_<NAME>`` environment variable, then the ``connections.json`` that
``huiliu city generate`` writes beside the synthetic city's sources.
"""

from __future__ import annotations

import json
from pathlib import Path

from huiliu.errors import ConfigurationError
from huiliu.settings import Settings, get_settings, source_url_override


def _city_connections(settings: Settings) -> dict[str, str]:
    path = settings.city_path / "connections.json"
    if not path.exists():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"{path} is not valid JSON ({exc}); regenerate it with `huiliu city generate`"
        ) from exc


def resolve_connection(name: str, settings: Settings | None = None) -> str:
    """The URL (SQL sources) or folder path (file drops) a connection name stands for."""
    settings = settings or get_settings()
    override = source_url_override(name)
    if override:
        return override
    known = _city_connections(settings)
    if name in known:
        return known[name]
    raise ConfigurationError(
        f"source connection {name!r} is not configured: set HUILIU_SOURCE_{name.upper()} "
        f"to a SQLAlchemy URL or folder, or run `huiliu city generate` to create {settings.city_path}"
    )


def resolve_drop_folder(name: str, settings: Settings | None = None) -> Path:
    folder = Path(resolve_connection(name, settings))
    if not folder.is_dir():
        raise ConfigurationError(f"drop folder of connection {name!r} does not exist: {folder}")
    return folder
