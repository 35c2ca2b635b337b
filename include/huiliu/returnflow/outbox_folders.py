"""Folders of the outbox reached without following links, so no write or delete escapes its root.

Every folder below the root is opened relative to its parent's descriptor with ``O_NOFOLLOW``: a
unit or dataset folder replaced by a symbolic link (to ``/etc`` or anywhere) is refused, not
followed, even if it is swapped in after a check. Files are created with ``O_EXCL | O_NOFOLLOW``
and trees are removed through descriptors (:func:`shutil.rmtree` with ``dir_fd``), which never
descends into a link. Folder names are validated before they reach here.

An open folder can hold an advisory lock (``flock``) on its descriptor: a delivery being written
holds one on its ``.partial`` folder, so a sweep of stale folders leaves live ones alone; the lock
dies with its process, so a killed writer's folder is stale at once.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO

from huiliu.returnflow.manifest import OutboxError

PARTIAL_SUFFIX = ".partial"
WITHDRAWN_SUFFIX = ".withdrawn"
DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FOLDER_MODE = 0o750
FILE_MODE = 0o640


class Folder:
    """An open folder of the outbox: its descriptor and the path it was reached by."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    @classmethod
    def root(cls, path: Path, *, create: bool = False) -> Folder:
        """The outbox root, created when asked (the root itself may be a link: it is configuration).

        Raises:
            FileNotFoundError: it is missing and not to be created.
        """
        if create:
            path.mkdir(parents=True, exist_ok=True)
        return cls(os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC), path)

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def child(self, name: str, *, create: bool = False) -> Folder | None:
        """The sub-folder ``name`` (created when asked), None when missing.

        Raises:
            OutboxError: ``name`` is a link, a file or anything but a folder.
        """
        if create:
            with suppress(FileExistsError):
                os.mkdir(name, FOLDER_MODE, dir_fd=self.fd)
                self.sync()
        try:
            return Folder(os.open(name, DIRECTORY_FLAGS, dir_fd=self.fd), self.path / name)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise OutboxError(
                    f"{self.path / name} is not a folder (a link or a file): the outbox never follows "
                    "links; remove it and deliver again"
                ) from None
            raise

    def make(self, name: str) -> Folder:
        """Create the new sub-folder ``name`` and open it.

        Raises:
            FileExistsError: it exists already.
        """
        os.mkdir(name, FOLDER_MODE, dir_fd=self.fd)
        folder = self.child(name)
        assert folder is not None
        return folder

    def entries(self) -> list[tuple[str, bool]]:
        """The folder's entries as (name, is a real folder, not a link), sorted by name."""
        with os.scandir(self.fd) as found:
            return sorted((e.name, e.is_dir(follow_symlinks=False)) for e in found)

    def create_file(self, name: str) -> BinaryIO:
        """A new file for writing (never an existing one, never through a link)."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        return os.fdopen(os.open(name, flags, FILE_MODE, dir_fd=self.fd), "wb")

    def open_file(self, name: str) -> BinaryIO:
        """An existing file for reading, never through a link."""
        return os.fdopen(os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.fd), "rb")

    def exists(self, name: str) -> bool:
        try:
            os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def rename(self, source: str, target: str) -> None:
        """Rename an entry within this folder, atomically (``os.replace``)."""
        os.replace(source, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def remove_tree(self, name: str) -> None:
        """Delete the sub-folder ``name`` and everything in it, never following a link."""
        shutil.rmtree(name, dir_fd=self.fd)

    def sync(self) -> None:
        """Make this folder's entries durable."""
        os.fsync(self.fd)

    def try_lock(self) -> bool:
        """Take this folder's exclusive lock if free; False when another holder has it."""
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    @contextmanager
    def locked(self) -> Iterator[Folder]:
        """Hold this folder's exclusive lock (waiting for it) for the block."""
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        try:
            yield self
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)


def walk(root: Path, *names: str, create: bool = False) -> Folder | None:
    """Open ``root/names[0]/names[1]/…`` one link-free step at a time; None when a step is missing."""
    try:
        folder = Folder.root(root, create=create)
    except FileNotFoundError:
        return None
    for name in names:
        try:
            step = folder.child(name, create=create)
        finally:
            folder.close()
        if step is None:
            return None
        folder = step
    return folder


def partial_name(delivery_id: str) -> str:
    """The hidden folder a delivery is written in before it is published."""
    return f".{delivery_id}{PARTIAL_SUFFIX}"


def withdrawn_name(delivery_id: str) -> str:
    """The hidden name a withdrawn delivery takes until it is deleted."""
    return f".{delivery_id}{WITHDRAWN_SUFFIX}"


def sweep(dataset: Folder) -> None:
    """Remove a dataset folder's stale hidden folders: unlocked ``.partial`` and ``.withdrawn`` ones.

    Call it holding the dataset folder's lock, under which new partial folders are made and locked.
    """
    removed = False
    for name, is_folder in dataset.entries():
        if not (is_folder and name.startswith(".") and name.endswith((PARTIAL_SUFFIX, WITHDRAWN_SUFFIX))):
            continue
        stale = dataset.child(name)
        if stale is None:
            continue
        with stale:
            if not stale.try_lock():
                continue  # being written by a live process
        dataset.remove_tree(name)
        removed = True
    if removed:
        dataset.sync()
