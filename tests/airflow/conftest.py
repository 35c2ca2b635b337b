"""Run the huiliu CLI in a subprocess with its own Airflow home and metadata database."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from huiliu.settings import Settings

HUILIU = str(Path(sys.executable).with_name("huiliu"))


@dataclass
class AirflowEnv:
    env: dict[str, str]

    def huiliu(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([HUILIU, *args], env=self.env, capture_output=True, text=True, timeout=600)


@pytest.fixture
def airflow_env(huiliu_home: Settings, tmp_path: Path) -> AirflowEnv:
    """An Airflow home in tmp_path with a SQLite metadata database, huiliu state in huiliu_home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENLINEAGE"))}
    env.update(
        {
            "HUILIU_HOME": str(huiliu_home.home),
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
    )
    return AirflowEnv(env)


WAIT_SECONDS = 300
"""How long a background DAG run may take to ask for, or finish after, a person's answer."""


def finish(run: subprocess.Popen[str]) -> str:
    """The run's output once it ends (killed, and the test failed, if it hangs)."""
    try:
        output, _ = run.communicate(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        run.kill()
        output, _ = run.communicate()
        pytest.fail(f"the DAG run did not finish within {WAIT_SECONDS}s: {output[-3000:]}")
    return output
