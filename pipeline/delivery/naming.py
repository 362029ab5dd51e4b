"""Remote folder, remote file name and SMS text of a job, from the configured templates.

The placeholders (``{stem}``, ``{order}``, ``{job}``, ``{press}``, ``{outputter}``, ``{plates}``,
``{plate_w}``, ``{plate_h}``, ``{inks}``, ``{inks_suffix}``, ``{ext}``) are checked when the
configuration is loaded (:func:`pipeline.config.check_placeholders`); here they are filled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from pipeline.config import Outputter
from pipeline.errors import ConfigError
from pipeline.text import fit_name, shown

#: Process colorants in CMYK order, by lower-cased Signa name, with their initial.
PROCESS_INITIALS = {"cyan": "C", "magenta": "M", "yellow": "Y", "black": "K", "key": "K"}
#: Order of the initials in an ink string.
CMYK_ORDER = "CMYK"
#: Shown for the plate count of a file whose plates are unknown (not a Signa file).
UNKNOWN_PLATES = "?"
#: Characters a remote file name must not carry: path separators, Windows-reserved, control
#: characters (C0, DEL, C1) and the lone surrogates of bytes that were not UTF-8.
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\ud800-\udfff]')
#: Most bytes of a name on the servers (255) less the temporary ``.<name>.<8 hex>.part``.
MAX_REMOTE_NAME_BYTES = 255 - len("..12345678.part")

#: The word a spot colour name carries that the bureau does not want in file names.
_PANTONE = re.compile(r"\bpantone\b", re.IGNORECASE)


def ink_string(colorants: Sequence[str]) -> str:
    """The Korol ink part: CMYK initials in CMYK order, then spot names, joined by ``-``.

    ``["Cyan", "Magenta", "PANTONE Reflex Blue C", "PANTONE 246 C"]`` gives
    ``"CM-ReflexBlueC-246C"``. A pure CMYK job (all four process colours, no spot) gives ``""``:
    the bureau assumes CMYK when no inks are named.
    """
    initials = {
        PROCESS_INITIALS[c.strip().lower()]
        for c in colorants
        if c.strip().lower() in PROCESS_INITIALS
    }
    spots: list[str] = []
    for name in colorants:
        if name.strip().lower() in PROCESS_INITIALS:
            continue
        spot = re.sub(r"\s+", "", _PANTONE.sub("", name))
        if spot and spot not in spots:
            spots.append(spot)
    process = "".join(i for i in CMYK_ORDER if i in initials)
    if process == CMYK_ORDER and not spots:
        return ""
    return "-".join(([process] if process else []) + spots)


def stem_without_outputter(filename: str, outputter: str) -> str:
    """``0601_Flier_Korol.pdf`` -> ``0601_Flier``: the stem without the bureau's part."""
    parts = PurePath(filename).stem.split("_")
    kept = [p for p in parts if p.lower() != outputter.lower()]
    return "_".join(kept) or PurePath(filename).stem


def placeholders(
    *,
    filename: str,
    order: str,
    job: str,
    press: str,
    outputter: str,
    plates: int | None,
    plate_mm: Sequence[float],
    colorants: Sequence[str],
) -> dict[str, Any]:
    """Every value a ``filename`` or SMS ``template`` may use, for one job.

    ``colorants`` are the colorant names of page 1; ``plates`` is None when unknown.
    The original name is also kept under ``filename`` (not a template placeholder).
    """
    inks = ink_string(colorants)
    return {
        "filename": PurePath(filename).name,
        "stem": stem_without_outputter(filename, outputter),
        "order": order,
        "job": job,
        "press": press,
        "outputter": outputter,
        "plates": UNKNOWN_PLATES if plates is None else plates,
        "plate_w": round(plate_mm[0]),
        "plate_h": round(plate_mm[1]),
        "inks": inks,
        "inks_suffix": f"_{inks}" if inks else "",
        "ext": PurePath(filename).suffix,
    }


def remote_name(outputter: Outputter, values: Mapping[str, Any]) -> str:
    """The name the file gets on the bureau's server: its ``filename`` template, else the original.

    The result is always a :func:`safe_remote_name`.
    """
    original = str(values["filename"])
    if not outputter.filename:
        return safe_remote_name(original)
    name = _fill(outputter.filename, values, f"outputters.{outputter.name}.filename")
    return safe_remote_name(name if name.strip() else original)


def safe_remote_name(name: str) -> str:
    """``name`` as one file name on an FTP or SFTP server: never a path, never hidden.

    Characters no server takes safely (``/ \\ : * ? " < > |``, control characters, bytes that
    were not UTF-8) become ``_``; leading dots and spaces go (no ``..``, no hidden file); a name
    longer than MAX_REMOTE_NAME_BYTES keeps its start and extension with a stable hash of the
    whole name between them. The job's record keeps the original name.
    """
    cleaned = re.sub(r"\.{2,}", ".", _UNSAFE_IN_NAME.sub("_", name)).strip().lstrip(". ")
    return fit_name(cleaned or "file", MAX_REMOTE_NAME_BYTES)


def remote_dir(outputter: Outputter, press: str) -> str:
    """The sub-folder under the bureau's URL for this press (``dir_by_press``), or ``""``."""
    return outputter.dir_by_press.get(press, "")


def sms_text(template: str, values: Mapping[str, Any]) -> str:
    """The SMS body from the ``[sms] template``; control characters of a name are escaped."""
    safe = {key: shown(v) if isinstance(v, str) else v for key, v in values.items()}
    return _fill(template, safe, "sms.template")


def _fill(template: str, values: Mapping[str, Any], key: str) -> str:
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ConfigError(
            f"{key} = {template!r} cannot be filled ({type(exc).__name__}: {exc}); "
            f"use only the placeholders listed in prepress.example.toml."
        ) from None
