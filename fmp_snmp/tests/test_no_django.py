"""The engine and the collector stand alone: nothing of Django, the portal or a database."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORTAL = {"django", "fmp", "printers", "meters", "supplies", "tickets", "documents", "accounts", "core"}
SERVERS = {"celery", "psycopg2", "redis", "kombu", "rest_framework"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["fmp_snmp", "fmp_collector"])
def test_no_module_imports_django_the_portal_or_a_server(package):
    modules = sorted((ROOT / package).rglob("*.py"))
    assert modules, package
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & (PORTAL | SERVERS))
        for path in modules
        if _imports(path) & (PORTAL | SERVERS)
    }
    assert offenders == {}


def test_importing_the_engine_loads_no_django():
    code = (
        "import sys, fmp_snmp.client, fmp_snmp.collect, fmp_snmp.probe, fmp_snmp.normalise, "
        "fmp_snmp.actions, fmp_snmp.observation, fmp_snmp.aio, fmp_collector.protocol\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & %r))" % (PORTAL | SERVERS)
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
