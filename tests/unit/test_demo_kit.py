"""The demo kit stays out of the domain and out of a production install."""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

#: The project's root folder.
ROOT = Path(__file__).resolve().parents[2]
#: What only the demo kit may use: its servers and itself.
DEMO_ONLY = ("testkit", "pyftpdlib", "OpenSSL")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _requirements() -> dict[str, list[str]]:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg", encoding="utf-8")
    extras = {name: _lines(value) for name, value in setup["options.extras_require"].items()}
    return {"install": _lines(setup["options"]["install_requires"]), **extras}


def test_a_plain_install_does_not_pull_the_demo_servers() -> None:
    # Given the requirements in setup.cfg
    requires = _requirements()
    # Then the servers and the certificate helper's library are in the demo extra only,
    # and the tests get them through it
    assert not [r for r in requires["install"] if r.startswith(("pyftpdlib", "pyopenssl"))]
    assert {r.split(">")[0] for r in requires["demo"]} >= {"pyftpdlib", "pyopenssl", "cryptography"}
    assert "prepress[demo]" in requires["test"]


def test_the_domain_imports_nothing_of_the_demo_kit() -> None:
    # Given every module of pipeline/
    offending = []
    for path in (ROOT / "pipeline").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found = [name for name in names if name.startswith(DEMO_ONLY)]
            offending += [f"{path.relative_to(ROOT)}: {name}" for name in found]
    # Then none imports the demo kit or its servers, and no server lives there
    assert offending == []
    assert not (ROOT / "pipeline" / "demo").exists()
