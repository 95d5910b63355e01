"""Tables that render both to the terminal (rich) and to markdown, and the one-section file update.

Several benchmarks write into one ``docs/benchmarks.md``; each owns the text between its
own start/end markers, so a run of one never clobbers another's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""

    def to_markdown(self) -> str:
        out = [f"**{self.title}**", ""]
        out.append("| " + " | ".join(self.headers) + " |")
        out.append("|" + "|".join("---" for _ in self.headers) + "|")
        for r in self.rows:
            out.append("| " + " | ".join(str(x) for x in r) + " |")
        if self.note:
            out += ["", self.note]
        return "\n".join(out) + "\n"

    def to_rich(self):
        from rich.table import Table as RichTable

        t = RichTable(title=self.title, caption=self.note or None)
        for h in self.headers:
            t.add_column(h)
        for r in self.rows:
            t.add_row(*(str(x) for x in r))
        return t


def fmt(x: float | int | None, digits: int = 3) -> str:
    """Numbers as the report shows them; '-' for not applicable."""
    if x is None:
        return "-"
    if isinstance(x, int):
        return str(x)
    if x != x:  # nan
        return "-"
    return f"{x:.{digits}f}"


def replace_section(path: Path, name: str, body: str) -> None:
    """Write ``body`` between ``<!-- retold:NAME:start -->`` and ``...:end -->`` in ``path``.

    The file is created when missing; the section is appended when absent; text outside the
    markers is kept byte for byte.
    """
    start = f"<!-- retold:{name}:start -->"
    end = f"<!-- retold:{name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    i = old.find(start)
    j = old.find(end, i + 1) if i >= 0 else -1
    if i >= 0 and j < 0:
        raise ValueError(f"{path}: found {start} but no {end}; fix the file by hand")
    if i >= 0:
        new = old[:i] + block + old[j + len(end) :]
    else:
        new = (old.rstrip() + "\n\n" if old.strip() else "# Benchmarks\n\n") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
