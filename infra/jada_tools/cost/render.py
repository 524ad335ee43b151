"""Bills as text tables (for `jada cost estimate` and the idle-cost benchmark)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from jada_tools.cost.estimate import Bill


def _quantity(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def print_bill(console: Console, bill: Bill) -> None:
    table = Table("service", "item", "quantity", "unit", "USD", "note", title=bill.title, box=None)
    for line in bill.lines:
        usd = f"{line.usd:.4f}" if line.counted else f"({line.quantity * line.unit_usd:.2f})"
        table.add_row(line.service, line.item, _quantity(line.quantity), line.unit, usd, line.note)
    table.add_row("", "[bold]total[/]", "", "", f"[bold]{bill.total:.2f}[/]", "")
    console.print(table)
