"""``huiliu policy check|explain``: check the return policy files, and show what a unit gets and why."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from huiliu.cli.output import console, err_console, fail, print_json
from huiliu.errors import HuiliuError

if TYPE_CHECKING:
    from huiliu.policy.explain import Explanation

policy_app = typer.Typer(
    help="回流策略 The return policy: what each tier receives, masked how.", no_args_is_help=True
)

_HEADERS = {
    "zh": ("列", "说明", "个人信息类型", "处理", "原因"),
    "en": ("column", "description", "entity types", "action", "reason"),
}


@policy_app.command("check")
def check_cmd(
    paths: list[Path] = typer.Argument(
        None, help="policy files or folders; default: the folder of the policy in force (include/policies)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> None:
    """Check return policy files; exit 1 naming file:line, field, problem and fix (中文 and English)."""
    from huiliu.policy.loader import check_policies, policy_files
    from huiliu.settings import get_settings

    targets = paths or [get_settings().return_policy.parent]
    missing = [str(p) for p in targets if not p.exists()]
    if missing:
        fail(f"没有该文件或目录 / no such file or folder: {', '.join(missing)}")
    if not policy_files(targets):
        fail(f"没有策略文件（*.yaml） / no policy files (*.yaml) in {', '.join(map(str, targets))}")
    policies, problems = check_policies(targets)
    if as_json:
        valid = [{"file": p.file, "version": p.label} for p in policies]
        print_json({"valid": valid, "problems": [p.as_dict() for p in problems]})
    else:
        for found in problems:
            err_console.print(f"[red]✗[/] {found.text('zh')}", highlight=False, soft_wrap=True)
            err_console.print(f"  {found.text('en')}", highlight=False, soft_wrap=True)
        for policy in policies:
            console.print(f"[green]✓[/] {policy.file} — {policy.label}", highlight=False, soft_wrap=True)
        console.print(
            f"{len(policies)} 个策略文件有效，{len(problems)} 个问题 / "
            f"{len(policies)} valid policy file(s), {len(problems)} problem(s)"
        )
    if problems:
        raise typer.Exit(1)


@policy_app.command("explain")
def explain_cmd(
    unit: str = typer.Argument(..., help="the unit's code, e.g. 520102001001 (a community)"),
    dataset: str = typer.Argument(..., help="the dataset, e.g. resident_registry"),
    as_json: bool = typer.Option(False, "--json", help="print JSON (both languages)"),
    lang: str = typer.Option("zh", "--lang", help="zh (default) or en"),
) -> None:
    """Which columns of DATASET the unit UNIT receives, how each is masked, and why."""
    from huiliu.policy.explain import explain

    if lang not in _HEADERS:
        fail(f"--lang 只能是 zh 或 en / --lang must be zh or en, not {lang!r}")
    try:
        result = explain(unit, dataset)
    except HuiliuError as exc:
        fail(str(exc))
    if as_json:
        print_json(result.as_dict())
        return
    console.print(_table(result, lang))
    console.print(_summary(result, lang), highlight=False, soft_wrap=True)


def _table(result: Explanation, lang: str) -> Table:
    decision, unit = result.decision, result.unit
    zh = lang == "zh"
    title = (
        f"{unit.name}（{unit.code}，{unit.tier.zh}）可获得「{decision.title}」的哪些列"
        if zh
        else f"What {unit.name} ({unit.code}, {unit.tier.value}) receives of {decision.title_en}"
    )
    table = Table(title=title, show_lines=False)
    for position, header in enumerate(_HEADERS[lang]):
        # names and descriptions stay whole; the reason column takes what width is left
        table.add_column(header, overflow="fold", no_wrap=position < 2)
    for column in decision.columns:
        action = column.action.zh if zh else column.action.value
        style = None if column.returned else "dim"
        table.add_row(
            column.column,
            column.description or "—",
            ", ".join(column.entity_types) or "—",
            action if column.returned else f"[red]{action}[/]",
            column.reason_zh if zh else column.reason_en,
            style=style,
        )
    return table


def _summary(result: Explanation, lang: str) -> str:
    decision, batch = result.decision, result.classified_batch
    returned, total = len(decision.returned), len(decision.columns)
    version = f"{decision.policy_version} ({result.policy.file})"
    if lang == "zh":
        counts = f"返还 {returned} 列，不返还 {total - returned} 列；策略版本 {version}"
        source = (
            f"个人信息分类来自批次 {batch}。"
            if batch
            else "该数据集尚无通过或经批准的个人信息分类，所有列均不返还（默认拒绝）。"
        )
    else:
        counts = f"{returned} of {total} columns returned; policy version {version}"
        source = (
            f"Column classification from batch {batch}."
            if batch
            else "No passed or approved PII classification of the dataset: nothing returned (default deny)."
        )
    return f"{counts}\n{source}"
