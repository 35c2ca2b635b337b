"""SIGTERM ends a huiliu command promptly, even while it waits inside a database driver.

SIGTERM raises ``Terminated`` in the main thread, so the command unwinds as after any error: staged
files are dropped, leases released, the batch is marked failed. Python only runs that handler once
the main thread is back in Python code, which a driver blocked in C (a server that accepted the
connection and never answers) can delay for as long as its own timeout; so a watcher thread that
hears of the signal at once (``signal.set_wakeup_fd``) ends the process after a short grace if it
has not ended by itself. What it had staged is never committed, and ``huiliu lake maintain``
removes such files later.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from types import FrameType

GRACE_SECONDS = 10.0
TERMINATED_EXIT = 128 + signal.SIGTERM
_installed = False


class Terminated(SystemExit):
    """The command was asked to stop (SIGTERM)."""

    def __init__(self) -> None:
        super().__init__(TERMINATED_EXIT)


def _stop(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated()


def _watch(read_end: int, grace_seconds: float) -> None:
    while True:
        try:
            received = os.read(read_end, 64)
        except OSError:
            return
        if not received:
            return
        if signal.SIGTERM in received:
            time.sleep(grace_seconds)
            sys.stderr.write(
                "huiliu: stopped by SIGTERM while waiting on an external system; nothing it had not "
                "committed was kept. 已收到终止信号（SIGTERM），未提交的内容均未保留。\n"
            )
            sys.stderr.flush()
            os._exit(TERMINATED_EXIT)


def exit_on_sigterm(grace_seconds: float = GRACE_SECONDS) -> bool:
    """Make SIGTERM end this process (cleanly, or after ``grace_seconds`` at the latest).

    Returns whether it was installed (only the main thread can install signal handlers).
    """
    global _installed
    if _installed or threading.current_thread() is not threading.main_thread():
        return _installed
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.signal(signal.SIGTERM, _stop)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    threading.Thread(
        target=_watch, args=(read_end, grace_seconds), daemon=True, name="huiliu-sigterm"
    ).start()
    return True
