"""Room for the files a long pass keeps open at once: the open-files limit raised, or a clear refusal.

A delivery pass keeps every unit's delivery open until it is sealed (its Parquet, CSV, XLSX and
fingerprint files and its locked folder): a district's 300 units hold about 1,800 descriptors, more
than the soft limit of 1,024 that many systems start a process with. Before anything is written, the
soft limit is raised as far as the hard limit allows; past the hard limit the pass is refused with
the numbers and the fix, instead of failing midway with "Too many open files".
"""

from __future__ import annotations

import resource
from pathlib import Path

from huiliu.errors import ConfigurationError


def open_now() -> int:
    """Descriptors this process holds now (0 where the system does not list them)."""
    try:
        return sum(1 for _ in Path("/proc/self/fd").iterdir())
    except OSError:
        return 0


def ensure_open_files(needed: int, what: str) -> None:
    """Make room for ``needed`` more open files beside those open now, raising the soft limit if need be.

    Args:
        needed: the files the work about to start keeps open at once, at most.
        what: the work, for the message (``delivering resident_registry to 298 units``).

    Raises:
        ConfigurationError: the hard limit is too low; the message names the limit to set.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = open_now() + needed
    if soft == resource.RLIM_INFINITY or wanted <= soft:
        return
    if hard != resource.RLIM_INFINITY and wanted > hard:
        raise ConfigurationError(
            f"{what}：需同时打开约 {wanted} 个文件，超过本进程上限 {hard}；请调高上限后重试 / "
            f"{what} keeps about {wanted} files open at once, more than this process may open ({hard}); "
            f"raise the limit (ulimit -n {wanted}, or LimitNOFILE={wanted} in the worker's systemd unit) "
            "and run it again"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
