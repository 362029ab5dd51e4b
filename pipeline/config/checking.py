"""Checking parsed TOML: typed access whose every error names the file and the key, the
placeholders a template may use, and passwords given inline or through the environment."""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.config.settings import PLACEHOLDERS
from pipeline.errors import ConfigError


def check_placeholders(template: str, key: str, source: Path | None) -> None:
    """Raise ConfigError when ``template`` uses a placeholder prepress does not fill."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ConfigError(
            f"{source}: {key} = {template!r} is not a valid template ({exc})."
        ) from None
    unknown = sorted(n for n in names if n.split(".")[0].split("[")[0] not in PLACEHOLDERS)
    if unknown or "" in names:
        raise ConfigError(
            f"{source}: {key} uses unknown placeholder(s) {unknown or ['{}']}; "
            f"allowed: {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}."
        )


class Reader:
    """Typed access to parsed TOML with messages that name the file and the key."""

    def __init__(self, source: Path | None) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source or 'configuration'}: {key}: {problem}")

    def only(self, table: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                name = f"{prefix}.{key}" if prefix else key
                raise self.fail(name, f"unknown key; expected one of {', '.join(sorted(allowed))}")

    def table(self, raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = raw.get(key.rsplit(".", 1)[-1], {})
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a table")
        return value

    def text(self, raw: Mapping[str, Any], key: str, default: str = "") -> str:
        value = raw.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {value!r}")
        return value

    def number(self, raw: Mapping[str, Any], key: str, default: float | None = None) -> float:
        """A number >= 0; without ``default`` the key is required."""
        value = raw.get(key.rsplit(".", 1)[-1], default)
        if value is None:
            raise self.fail(key, "missing; a number >= 0 is required")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(key, f"must be a number >= 0, got {value!r}")
        return float(value)

    def boolean(self, raw: Mapping[str, Any], key: str, default: bool) -> bool:
        value = raw.get(key.rsplit(".", 1)[-1], default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def strings(self, raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = raw.get(key.rsplit(".", 1)[-1], [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"must be a list of strings, got {value!r}")
        return tuple(value)

    def secret(self, raw: Mapping[str, Any], key: str) -> str:
        """A password given inline or through ``<name>_env`` naming an environment variable."""
        name = key.rsplit(".", 1)[-1]
        env_name = raw.get(f"{name}_env")
        if env_name is not None:
            if not isinstance(env_name, str) or env_name not in os.environ:
                raise self.fail(f"{key}_env", f"environment variable {env_name!r} is not set")
            return os.environ[env_name]
        return self.text(raw, key)


def with_password(url: str | None, env_name: Any, key: str, reader: Reader) -> str | None:
    """Put the password from the named environment variable into the URL."""
    if url is None or env_name is None:
        return url
    if not isinstance(env_name, str) or env_name not in os.environ:
        raise reader.fail(key, f"environment variable {env_name!r} is not set")
    from urllib.parse import quote

    parts = urlsplit(url)
    user = parts.username or "anonymous"
    host = parts.hostname or ""
    netloc = f"{user}:{quote(os.environ[env_name], safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc).geturl()
