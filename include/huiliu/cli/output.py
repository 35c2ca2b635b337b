"""Shared console helpers for the command line."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn, TextIO

import typer
from rich.console import Console

LOG_WIDTH = 160  # columns of output written to a file or pipe (make demo > log, CI, Airflow logs)


def _console(stream: TextIO, stderr: bool = False) -> Console:
    """Rich's console. In a terminal it takes the terminal's width; written to a file or a pipe it
    would take 80 columns and cut tables to "ro…", so it takes ``LOG_WIDTH`` unless COLUMNS is set."""
    wide = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=LOG_WIDTH if wide else None)


console = _console(sys.stdout)
err_console = _console(sys.stderr, stderr=True)


def print_json(data: Any) -> None:
    """Plain JSON on stdout (no colour codes), for scripts."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
