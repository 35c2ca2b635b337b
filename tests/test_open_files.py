"""The open-files limit a delivery pass needs: raised when the system allows it, refused clearly when not.

Each case runs in its own interpreter, since limits set in a process stay set (a lowered hard limit
cannot be raised again)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_soft_limit_is_raised_until_the_files_can_all_be_opened() -> None:
    done = _run(
        """
        import os, resource, tempfile
        from huiliu.open_files import ensure_open_files
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        ensure_open_files(1000, "delivering resident_registry to 125 units")
        folder = tempfile.mkdtemp()
        files = [open(os.path.join(folder, str(i)), "w") for i in range(1000)]  # EMFILE at 256 before
        print(resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 1000, len(files))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "1000"]


def test_past_the_hard_limit_the_pass_is_refused_with_the_limit_to_set() -> None:
    done = _run(
        """
        import resource
        from huiliu.errors import ConfigurationError
        from huiliu.open_files import ensure_open_files
        resource.setrlimit(resource.RLIMIT_NOFILE, (200, 300))
        try:
            ensure_open_files(1000, "delivering resident_registry to 125 units")
        except ConfigurationError as error:
            print(error)
        """
    )
    assert done.returncode == 0, done.stderr
    message = done.stdout
    assert "delivering resident_registry to 125 units" in message and "(300)" in message
    assert "ulimit -n" in message and "LimitNOFILE=" in message and "超过本进程上限 300" in message


def test_enough_room_leaves_the_limit_as_it_is() -> None:
    done = _run(
        """
        import resource
        from huiliu.open_files import ensure_open_files
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        ensure_open_files(100, "delivering x to 12 units")
        print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4096"
