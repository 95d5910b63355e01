"""The package's imports follow the flow, and the documented contracts match the code.

The folders of ``retold/`` are the stages of the flow (ingest -> clean -> sign -> candidates
-> compare -> decide -> group -> show/index -> pipeline -> service/bench/cli). A stage may
use the stages before it and the shared base (model, config, progress, graphs, engines),
never one after it: an import that runs backwards is how cycles and hidden couplings start.
Imports inside functions count too.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "retold"

#: each top-level module or folder of retold/, by its place in the flow
LAYER = {
    "model": 0, "config": 0, "progress": 0, "graphs": 0, "engines": 0,
    "ingest": 1,
    "clean": 2,
    "sign": 3,
    "candidates": 4,
    "compare": 5,
    "decide": 6,
    "group": 7,
    "show": 8, "index": 8,
    "pipeline": 9, "stream": 9,
    "service": 10, "bench": 10, "cli": 10, "__init__": 10, "__main__": 11,
}


#: backward imports made on purpose, each with its reason
ALLOWED = {
    # ScanResult.to_arrow()/to_pandas(): the result converts itself for the user, importing
    # the conversion (and pyarrow/pandas) only when called
    ("model", "show"),
}


def _unit(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "retold" and node.level == 0:
            parts = node.module.split(".")
            out.append((parts[1] if len(parts) > 1 else "__init__", node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name.split(".")[1], node.lineno) for a in node.names if a.name.startswith("retold.")]
    return out


def test_every_unit_has_a_layer():
    units = {_unit(p) for p in PKG.rglob("*.py")}
    assert units <= set(LAYER), f"place these in LAYER: {sorted(units - set(LAYER))}"


def test_imports_follow_the_flow():
    backwards = []
    for path in sorted(PKG.rglob("*.py")):
        src = _unit(path)
        for dst, line in _imports(path):
            if dst != src and LAYER[dst] > LAYER[src] and (src, dst) not in ALLOWED:
                backwards.append(f"{path.relative_to(ROOT)}:{line}: {src} imports {dst}")
            if src == "model" and dst != src and LAYER[dst] == 0:
                backwards.append(f"{path.relative_to(ROOT)}:{line}: model imports {dst}: the data objects import nothing of retold")
    assert not backwards, "imports that run against the flow:\n" + "\n".join(backwards)


def test_the_check_would_catch_a_backward_import(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("def f():\n    from retold.group import build_groups\n")
    assert _imports(bad) == [("group", 2)]


def _contract_rows() -> list[tuple[str, str, str]]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text.split("## Contracts between stages", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows.append((cells[0].strip("`"), cells[1].strip("`"), cells[2].replace("\\|", "|")))
    return rows


def _param_names(sig_text: str) -> list[str]:
    inner = sig_text.split("(", 1)[1].rsplit(")", 1)[0] if "(" in sig_text else ""
    depth, cur, parts = 0, "", []
    for ch in inner:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    names = []
    for p in parts:
        p = p.strip()
        if not p or p in ("*", "/"):
            continue
        names.append(re.split(r"[:=]", p, maxsplit=1)[0].strip())
    return names


@pytest.mark.parametrize("name,module,sig", _contract_rows())
def test_architecture_contracts_match_the_code(name, module, sig):
    """ARCHITECTURE.md's contract table names real functions with their real parameters."""
    import importlib

    obj = getattr(importlib.import_module(module), name)
    if inspect.isclass(obj):
        calls = re.findall(r"`([a-z_]+)(\([^`]*\))`", sig)
        assert calls, f"{name}: name its methods"
        for meth, args in calls:
            have = [p for p in inspect.signature(getattr(obj, meth)).parameters if p != "self"]
            want = _param_names(meth + args)
            assert want == have[: len(want)] and all(p.startswith("_") for p in have[len(want):]), (
                f"{module}.{name}.{meth}: ARCHITECTURE says {want}, the code has {have}"
            )
        return
    if not sig.startswith("`("):
        return  # described in words: the name must exist (above)
    want = _param_names(sig.strip("`").split(" -> ")[0].split("`")[0])
    have = list(inspect.signature(obj).parameters)
    assert want == have, f"{module}.{name}: ARCHITECTURE says {want}, the code has {have}"


def test_the_contract_table_is_not_empty():
    assert len(_contract_rows()) >= 10


def test_ruff_finds_nothing():
    """The lint rules of pyproject.toml ([tool.ruff]) hold over the package, scripts and tests."""
    import shutil
    import subprocess
    import sys

    if shutil.which("ruff") is None and subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True).returncode:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    cmd = ["ruff"] if shutil.which("ruff") else [sys.executable, "-m", "ruff"]
    run = subprocess.run([*cmd, "check", "--output-format", "concise", "retold", "scripts", "tests"], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_decisions_documents_every_feature():
    """docs/DECISIONS.md's feature table names every field of the typed evidence."""
    from retold.model import Features

    text = (ROOT / "docs" / "DECISIONS.md").read_text(encoding="utf-8")
    names = [f for f in Features.__dataclass_fields__ if f != "extra"]
    assert [n for n in names if f"`{n}`" not in text] == []
