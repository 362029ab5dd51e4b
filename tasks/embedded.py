"""The embedded broker: kombu's filesystem transport with atomic message files.

kombu writes a message file in place under its final ``.msg`` name, so a worker polling the
folder can pick it up while it is still empty and die on the half-written JSON. Here each
message is written under a temporary name the reader ignores and renamed when complete.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.tmp")
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"cannot add {final!r} to the broker folder") from exc


class Transport(filesystem.Transport):
    Channel = Channel
