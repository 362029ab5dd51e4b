"""The shop's settings: the part of prepress.toml every host must agree on.

A shop's settings are its presses, CTP bureaus (with their naming), marks, analysis limits, the
staff (press SMS lists name them) and the shop-wide part of ``[sms]`` (login, sender,
recipients, template). The rest of
prepress.toml is the host's own: broker, database, paths, watcher, backup, Flower, and the
secrets that host needs. ``prepress config push`` stores the shop's settings in the database
(models/shop_settings.py) and every host reads them from there; a host whose own file still
carries shop sections must carry the pushed ones (see pipeline/config/hosts.py).

Secrets never travel: a password written into a URL (``ftp://user:pw@host``) is removed from
the settings before they are hashed, compared or stored, and the key is listed in
``stripped`` so a host that uploads can say what it lacks. ``password_env`` keys (names of
environment variables, not secrets) do travel: every io host sets those variables.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any
from urllib.parse import urlsplit

#: Sections of prepress.toml that are the shop's settings, in the order they are shown.
SHOP_SECTIONS = (
    "presses",
    "outputters",
    "marks",
    "analysis",
    "preflight",
    "staff",
    "sms",
    "shop",
    "remakes",
)
#: Keys of ``[sms]`` every host shares; the other keys (password, timeout) are the host's.
SHOP_SMS_KEYS = frozenset(
    {"provider", "api_url", "login", "password_env", "sender", "recipients", "admin", "template"}
)
#: A TOML bare key; other keys are written quoted.
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class ShopSettings:
    """The shop's settings as tables (secrets removed), with their fingerprint.

    ``sections`` maps a section name to its table as parsed TOML; a section that is absent
    is not a key. ``stripped`` lists the keys whose URL had a password that was removed.
    """

    sections: Mapping[str, Any]
    stripped: tuple[str, ...] = ()
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(canonical(self.sections)).hexdigest())

    @property
    def short(self) -> str:
        """The first 12 hex digits of the fingerprint, as shown to people."""
        return self.sha256[:12]

    def section(self, name: str) -> Any:
        """A section's table; an absent section is an empty table."""
        return self.sections.get(name, {})

    def differing(self, other: ShopSettings, names: tuple[str, ...] = SHOP_SECTIONS) -> list[str]:
        """The sections among ``names`` whose content differs from ``other``'s."""
        return [n for n in names if canonical(self.section(n)) != canonical(other.section(n))]

    def document(self) -> dict[str, Any]:
        """What is stored: the sections and the stripped keys, JSON-safe."""
        return {"sections": dict(self.sections), "stripped": list(self.stripped)}

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ShopSettings:
        """The settings :meth:`document` stored."""
        return cls(dict(document["sections"]), tuple(document.get("stripped", ())))


def shop_settings(raw: Mapping[str, Any]) -> ShopSettings:
    """The shop's settings in parsed prepress.toml, passwords in URLs removed."""
    sections: dict[str, Any] = {}
    for name in SHOP_SECTIONS:
        table = raw.get(name)
        if name == "sms" and isinstance(table, Mapping):
            table = {k: v for k, v in table.items() if k in SHOP_SMS_KEYS}
        if table:
            sections[name] = table
    stripped: list[str] = []
    clean = _strip_passwords(sections, "", stripped)
    return ShopSettings(clean, tuple(stripped))


def local_part(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parsed prepress.toml without the shop's settings: what is this host's own."""
    local = {k: v for k, v in raw.items() if k not in SHOP_SECTIONS}
    sms = raw.get("sms")
    if isinstance(sms, Mapping):
        own = {k: v for k, v in sms.items() if k not in SHOP_SMS_KEYS}
        if own:
            local["sms"] = own
    return local


def with_shop_settings(raw: Mapping[str, Any], shop: ShopSettings) -> dict[str, Any]:
    """This host's own part of ``raw`` with the shop's settings put in."""
    merged = local_part(raw)
    for name, table in shop.sections.items():
        if name == "sms":
            merged["sms"] = {**table, **merged.get("sms", {})}
        else:
            merged[name] = table
    return merged


def canonical(value: Any) -> bytes:
    """One byte string per content: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def to_toml(shop: ShopSettings) -> str:
    """The shop's settings as prepress.toml sections (what ``prepress config show`` prints)."""
    return toml_text({name: shop.sections[name] for name in SHOP_SECTIONS if name in shop.sections})


def toml_text(sections: Mapping[str, Mapping[str, Any]]) -> str:
    """``sections`` as TOML text, a ``[name]`` table each (a dotted name stays as written; a
    table holding only tables gets a header per sub-table): the one TOML writer, for ``config
    show`` and for the files the demo, the tests and the benchmarks write."""
    lines: list[str] = []
    for name, table in sections.items():
        _table_lines(name, table, lines)
    return "\n".join(lines).rstrip("\n") + "\n"


def diff(
    pushed: ShopSettings, local: ShopSettings, names: tuple[str, ...], labels: tuple[str, str]
) -> list[str]:
    """Unified-diff lines from the pushed settings to this host's, over the sections named."""

    def text(shop: ShopSettings) -> list[str]:
        part = ShopSettings({n: shop.sections[n] for n in names if n in shop.sections})
        return to_toml(part).splitlines(keepends=True)

    return list(difflib.unified_diff(text(pushed), text(local), *labels))


def url_password_keys(sections: Mapping[str, Any]) -> list[str]:
    """The keys of ``sections`` whose value is a URL with a password in it."""
    found: list[str] = []
    _strip_passwords(sections, "", found)
    return found


def _strip_passwords(value: Any, key: str, stripped: list[str]) -> Any:
    """A copy of ``value`` with passwords taken out of every URL; their keys in ``stripped``."""
    if isinstance(value, Mapping):
        return {
            k: _strip_passwords(v, f"{key}.{k}" if key else k, stripped) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_strip_passwords(v, key, stripped) for v in value]
    if isinstance(value, date | time):
        # a TOML date (prices' ``from = 2026-01-01``) travels as its ISO text, JSON-safe
        return value.isoformat()
    if isinstance(value, str) and "://" in value:
        parts = urlsplit(value)
        if parts.password is not None:
            stripped.append(key)
            host = parts.netloc.rsplit("@", 1)[1]
            netloc = f"{parts.username}@{host}" if parts.username else host
            return parts._replace(netloc=netloc).geturl()
    return value


def _table_lines(name: str, table: Mapping[str, Any], lines: list[str]) -> None:
    """``[name]`` with its keys; a table holding only tables gets a header per sub-table."""
    if table and all(isinstance(v, Mapping) for v in table.values()):
        for key, value in table.items():
            _table_lines(f"{name}.{_key(key)}", value, lines)
        return
    lines.append(f"[{name}]")
    lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    lines.append("")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)
