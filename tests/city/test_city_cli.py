"""``huiliu city generate``: progress, summary table and clear errors with exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huiliu.cli.city_cmd import city_app

runner = CliRunner()


def test_generate_prints_a_summary(tmp_path: Path) -> None:
    result = runner.invoke(
        city_app, ["generate", "--out", str(tmp_path), "--residents", "2000", "--seed", "5"]
    )
    assert result.exit_code == 0, result.output
    assert "resident_registry" in result.output and "hotline_tickets" in result.output
    assert "ground_truth.json" in result.output
    truth = json.loads((tmp_path / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 5 and truth["districts"] == ["520102"]


def test_generate_several_districts(tmp_path: Path) -> None:
    result = runner.invoke(
        city_app, ["generate", "--out", str(tmp_path), "--residents", "1500", "--districts", "520102,520103"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["districts"] == [
        "520102",
        "520103",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--districts", "520199"], "520199"),
        (["--city", "9999"], "9999"),
        (["--scale", "huge"], "unknown scale"),
        (["--target", "gongan"], "NAME=URL"),
        (["--target", "nope=sqlite:///x.db"], "unknown target"),
        (["--target", "gongan=postgresql+psycopg2://postgres@127.0.0.1:1/huiliu_src"], "gongan"),
    ],
)
def test_errors_are_messages_not_tracebacks(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(city_app, ["generate", "--out", str(tmp_path), "--residents", "500", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
