"""Named crash points, so that tests can kill a real process exactly at a commit boundary.

``HUILIU_CRASH_AT`` holds a comma-separated list of point names; a process reaching one of them
kills itself with SIGKILL (no cleanup, no ``finally``, as a power cut or the OOM killer would).
Unset, a crash point costs one dictionary look-up.
"""

from __future__ import annotations

import os
import signal

CRASH_AT_VARIABLE = "HUILIU_CRASH_AT"


def crash_point(name: str) -> None:
    """Kill this process now if ``name`` is listed in ``HUILIU_CRASH_AT``."""
    wanted = os.environ.get(CRASH_AT_VARIABLE)
    if wanted and name in wanted.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
