"""Regenerate docs/data-model.md from the table declarations: `python docs/gen_data_model.py`.

Every table is declared once in ``kizuki.schema``; a test fails when this page differs from
what the declarations give.
"""

from __future__ import annotations

from pathlib import Path

from kizuki.schema import RESULT_TABLES, SYSTEM_TABLES, TABLES

INTRO = """\
# Data model

Generated from the declarations in `src/kizuki/schema/` by `python docs/gen_data_model.py`;
a test checks that this page is what they give.

Timestamps are UTC, and so are the days and weeks of the results: on DuckDB Kizuki takes them
from each instant's microseconds (`kizuki.duckdb_backend`), whatever the session's time zone;
Spark runs with its session time zone set to UTC.

## Canonical tables

What ingest loads. Every canonical table also has `batch_id`, the ingest batch that loaded
the row. Columns marked *redacted* pass through PII redaction before they are stored.
"""


def _canonical() -> list[str]:
    parts: list[str] = []
    for name, tdef in TABLES.items():
        parts += [f"### `{name}`", "", tdef.doc, "", f"Key: `{tdef.key}`.", ""]
        parts += ["| column | type | required | allowed values / notes |", "|---|---|---|---|"]
        for c in tdef.columns:
            notes = ", ".join(c.enum) if c.enum else ""
            if c.redact:
                notes = "*redacted*"
            required = "yes" if c.required else ""
            parts.append(f"| `{c.name}` | {c.type} | {required} | {notes} |")
        parts.append("")
        if tdef.checks:
            rules = "; ".join(f"{check.reason} → quarantine" for check in tdef.checks)
            parts += [f"Row rules: {rules}.", ""]
    return parts


def _system() -> list[str]:
    parts = ["## System tables", ""]
    for name, schema in SYSTEM_TABLES.items():
        columns = ", ".join(f"`{col}` ({dtype})" for col, dtype in schema.items())
        parts += [f"### `{name}`", "", columns, ""]
    parts += [
        "Invariant of every ingest, checked in code and recorded in `ingest_log`:",
        "`rows_in == rows_loaded + rows_duplicate + rows_quarantined`.",
        "",
    ]
    return parts


def _results() -> list[str]:
    parts = [
        "## Result tables",
        "",
        "What `kizuki analyze` writes (each step overwrites its tables; `result_runs` gains a",
        "row per run). The `Kizuki` method of the same name returns each as a DataFrame, with",
        "these columns in this order; every number is defined in [metrics.md](metrics.md).",
        "",
    ]
    for name, rdef in RESULT_TABLES.items():
        key = ", ".join(f"`{k}`" for k in rdef.key) if rdef.key else "one row"
        parts += [f"### `{name}`", "", rdef.doc, "", f"One row per: {key}.", ""]
        parts += ["| column | type | unit | meaning |", "|---|---|---|---|"]
        for c in rdef.columns:
            parts.append(f"| `{c.name}` | {c.type} | {c.unit} | {c.doc} |")
        parts.append("")
    return parts


def render() -> str:
    """The data-model page as Markdown."""
    return "\n".join([INTRO, *_canonical(), *_system(), *_results()]).rstrip() + "\n"


if __name__ == "__main__":
    Path(__file__).with_name("data-model.md").write_text(render(), encoding="utf-8")
