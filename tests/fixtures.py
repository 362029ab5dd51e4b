"""Small fixtures every test family may use; servers live in tests/servers.py and tests/sshd.py."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Config, config_from_dict
from pipeline.config.shared import toml_text
from tests.redis_server import RedisServer
from tests.services import port_open, require

#: The configuration most tests run with: the shop's presses and bureaus, no network targets.
BASE_CONFIG = {
    "presses": {
        "Speedmaster": {"plate_mm": [1030, 770], "gripper_mm": 10},
        "Planeta": {"plate_mm": [1010, 820], "gripper_mm": 10},
        "Dominant": {"plate_mm": [650, 550], "gripper_mm": 8},
    },
    "outputters": {
        "Leonov": {
            "dir_by_press": {
                "Speedmaster": "_1030x770",
                "Planeta": "_1010x820",
                "Dominant": "_ADAST",
            }
        },
        "Korol": {"filename": "{stem}_{plate_w}_{plates}Plates{inks_suffix}{ext}"},
        "Admin": {"notify": False},
        "Vonoel": {},
    },
}

#: The smallest shop a command accepts, as prepress.toml tables: one press, one CTP bureau.
SMALL_SHOP = {
    "presses.Speedmaster": BASE_CONFIG["presses"]["Speedmaster"],
    "outputters.Leonov": {},
}
#: The shop's small press, as a prepress.toml table to add to :data:`SMALL_SHOP`.
DOMINANT = {"presses.Dominant": BASE_CONFIG["presses"]["Dominant"]}
#: prepress.toml of the command tests: the small shop, its work folder beside the file, the
#: embedded broker.
CLI_TOML = toml_text(
    {"paths": {"work_dir": "work"}, "celery": {"broker_url": "embedded"}, **SMALL_SHOP}
)

#: The project's root folder, put on a child's PYTHONPATH.
ROOT = Path(__file__).resolve().parents[1]


def prepress(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m commands ARGS`` in a fresh process (clean logging, real environment)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PREPRESS_", "_PREPRESS"))}
    return subprocess.run(
        [sys.executable, "-m", "commands", *map(str, args)],
        capture_output=True,
        text=True,
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=60,
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The shop's configuration with the work folder under tmp_path."""
    raw = dict(BASE_CONFIG, paths={"work_dir": str(tmp_path / "work")})
    return config_from_dict(raw, source=tmp_path / "prepress.toml")


#: Maintenance database on the test PostgreSQL server; fresh databases are made from it.
PG_ADMIN_URL = os.environ.get(
    "PREPRESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    import sqlalchemy

    require(port_open("127.0.0.1", 5432), "PostgreSQL is not running on 127.0.0.1:5432")
    name = f"prepress_test_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from models.db import engine_for

    engine_for(url).dispose()
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database: SQLite in tmp_path, then PostgreSQL."""
    from models.db import migrate

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'prepress.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    migrate(url)
    return url


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A database of the test run's own redis-server, emptied first."""
    import redis

    url = redis_server.url(12)
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url
