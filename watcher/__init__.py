"""The hotfolder and intake: events -> a stable file -> a job row -> spool/ -> a queued chain.

``hotfolder`` watches the share (watchdog, a stability check, a rescan safety net); ``intake``
takes a file: the job row first, then the rename into spool/, then the chain (tasks.canvas).
The rules tests/unit/test_layers.py reads from this text and checks:
May import: pipeline/, models/, tasks/.
Never imports: flask, click, commands/, web/.
"""

from watcher.hotfolder import Hotfolder, is_ignored

__all__ = ["Hotfolder", "is_ignored"]
