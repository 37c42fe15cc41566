"""Dependencies point inward: core imports no edge, no channel SDK, no web framework, no RQ."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_CORE = {"bots", "webhooks", "worker", "slotline", "fastapi", "starlette", "uvicorn",
                     "telegram", "slack_bolt", "slack_sdk", "twilio", "rq", "smtplib", "aiosmtplib"}


def imported_top_levels(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_nothing_outward(path):
    assert imported_top_levels(path) & FORBIDDEN_IN_CORE == set()


def test_the_checker_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import telegram\nfrom webhooks.app import create_app\nfrom .x import y\n")
    assert imported_top_levels(sample) & FORBIDDEN_IN_CORE == {"telegram", "webhooks"}
