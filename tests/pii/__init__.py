"""Tests of huiliu.pii: recognizers, registry, scanner, classification, drift, accuracy, CLI."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from huiliu.city import CityManifest, generate_city

AS_OF = date(2026, 10, 15)
SEED = 7


def make_city(folder: Path) -> CityManifest:
    """The small synthetic city (南明区), fixed seed and date."""
    return generate_city(folder, scale="small", seed=SEED, as_of=AS_OF)


def city_texts(city: CityManifest, limit: int | None = None) -> list[str]:
    """Free texts of the city's hotline tickets and grid events, in source order."""
    texts: list[str] = []
    for connection, table in (("chengyun", "hotline_tickets"), ("wangge", "grid_events")):
        path = city.connections[connection].removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            texts += [row[0] for row in conn.execute(f'SELECT description FROM "{table}"') if row[0]]
    return texts[:limit]


def spans(text: str, found: list[tuple[str, int, int]], entity: str) -> list[str]:
    """The substrings of the findings of one entity type (for readable assertion messages)."""
    return [text[s:e] for t, s, e in found if t == entity]


OPEN, CLOSE = "⟦", "⟧"


def unmark(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """A test text without its ⟦entity⟧ markers, and the marked spans in the unmarked text."""
    text: list[str] = []
    found: list[tuple[int, int]] = []
    start = 0
    for char in marked:
        if char == OPEN:
            start = len(text)
        elif char == CLOSE:
            found.append((start, len(text)))
        else:
            text.append(char)
    return "".join(text), found
