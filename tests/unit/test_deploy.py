"""deploy/ stays true: every setting is documented in env.example, the units start commands
that exist."""

import re
from pathlib import Path

from bot.cli import build_parser
from bot.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_env_example_documents_every_setting_and_nothing_else():
    text = (DEPLOY / "env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert named == {name.upper() for name in Settings.model_fields}


def test_units_run_existing_commands():
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    for unit in DEPLOY.glob("*.service"):
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                args = line.split()[1:]
                assert args[0] in commands, (unit.name, line)
