"""``huiliu lake maintain``: remove lake files no table state refers to (left by killed or failed runs)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from huiliu.cli.output import console, err_console, fail, print_json
from huiliu.errors import HuiliuError

if TYPE_CHECKING:
    from huiliu.lake.maintenance import MaintenanceReport

PROGRESS_FROM_TABLES = 5  # fewer tables finish before a bar would be worth drawing


def parse_duration(option: str, text: str) -> timedelta:
    """A duration such as 90m, 24h or 7d; refused naming the option and the accepted forms."""
    match = re.fullmatch(r"(\d+)\s*([mhd])", text.strip())
    if match is None:
        fail(
            f"{option} {text!r}：请写数字加 m、h 或 d，例如 24h 或 7d / "
            "write a number and m, h or d, e.g. 24h or 7d"
        )
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(minutes=amount) if unit == "m" else timedelta(hours=amount * (24 if unit == "d" else 1))


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress callback for ``remove_orphans``: a bar on stderr when there are many tables."""
    if not show:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    task = bar.add_task("湖维护 lake maintenance", total=None)

    def advance(table: str, done: int, total: int) -> None:
        if total >= PROGRESS_FROM_TABLES:
            bar.start()
        bar.update(task, completed=done, total=total, description=f"湖维护 lake maintenance {table}")

    try:
        yield advance
    finally:
        bar.stop()


def _print_report(done: MaintenanceReport, dry_run: bool) -> None:
    report, indexes = done.tables, done.indexes
    verb_zh, verb = ("将删除", "would remove") if dry_run else ("已删除", "removed")
    listing = Table(
        Column("表 table", no_wrap=True),
        f"{verb_zh} files {verb}",
        "MB",
        "未满窗口、保留 younger, kept",
        "过期快照 snapshots expired",
        "说明 note",
        title=f"孤立文件 orphaned files ({verb})",
    )
    for item in report:
        note = item.error or item.skipped or ""
        worth = item.files or item.kept_young or item.expired_snapshots or note
        if worth:
            listing.add_row(
                item.table,
                str(len(item.files)),
                f"{item.bytes / 1e6:.1f}",
                str(item.kept_young),
                str(item.expired_snapshots),
                note,
            )
    if listing.row_count:
        console.print(listing)
    files, size = sum(len(t.files) for t in report), sum(t.bytes for t in report)
    console.print(
        f"{verb_zh} {files} 个文件，{size / 1e6:.1f} MB，共检查 {len(report)} 张表 / "
        f"{verb} {files} file(s), {size / 1e6:.1f} MB; {len(report)} table(s) checked",
        highlight=False,
        soft_wrap=True,
    )
    if indexes.gone:
        console.print(
            f"{verb_zh} {len(indexes.gone)} 个已不在湖中的数据文件的键哈希索引 / "
            f"{verb} the key-hash indexes of {len(indexes.gone)} data file(s) no longer in the lake",
            highlight=False,
            soft_wrap=True,
        )
    if indexes.unreadable:
        console.print(
            f"{verb_zh} {len(indexes.unreadable)} 个无法读取的键哈希索引（已损坏或为旧格式） / "
            f"{verb} {len(indexes.unreadable)} unreadable key-hash index file(s) "
            "(damaged or of a former layout)",
            highlight=False,
            soft_wrap=True,
        )
    if indexes.error is not None:
        console.print(
            f"键哈希索引未全部清理 / key-hash indexes not all pruned: {indexes.error}",
            highlight=False,
            soft_wrap=True,
        )


def maintain(
    older_than: str = typer.Option(
        "24h", "--older-than", help="keep unreferenced files younger than this (a run may be writing them)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="list what would be removed, remove nothing"),
    table: list[str] = typer.Option(None, "--table", help="only this table, e.g. landing.resident_registry"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
    expire: str | None = typer.Option(
        None,
        "--expire-snapshots-older-than",
        help="also expire snapshots older than this, e.g. 90d (off by default: time travel needs them)",
    ),
) -> None:
    """Remove data and metadata files no table state refers to (left by killed or failed runs)."""
    from huiliu.lake.maintenance import LakeMaintenanceError, remove_orphans

    window = parse_duration("--older-than", older_than)
    expire_after = parse_duration("--expire-snapshots-older-than", expire) if expire else None
    failed: LakeMaintenanceError | None = None
    refused: HuiliuError | None = None
    report: MaintenanceReport | None = None
    with _progress(show=not as_json and err_console.is_terminal) as progress:
        try:
            report = remove_orphans(
                older_than=window,
                dry_run=dry_run,
                tables=table or None,
                expire_older_than=expire_after,
                progress=progress,
            )
        except LakeMaintenanceError as exc:
            report, failed = exc.report, exc
        except HuiliuError as exc:
            refused = exc
    if refused is not None:
        fail(str(refused))
    assert report is not None
    if as_json:
        print_json({"dry_run": dry_run, **report.as_dict()})
    else:
        _print_report(report, dry_run)
    if failed is not None:
        fail(f"湖维护未完成 / lake maintenance did not finish: {failed}")


def register(lake_app: typer.Typer) -> None:
    """Add ``maintain`` to ``huiliu lake``."""
    lake_app.command("maintain")(maintain)
