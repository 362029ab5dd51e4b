"""The hotfolder and intake: events -> a stable file -> a job row -> spool/ -> a queued chain.

``hotfolder`` watches the share (watchdog, a stability check, a rescan safety net); ``intake``
takes a file: the job row first, then the rename into spool/, then the chain (tasks.canvas).
May import tasks/, models/ and pipeline/; never commands/ or web/.
"""

from watcher.hotfolder import Hotfolder, is_ignored

__all__ = ["Hotfolder", "is_ignored"]
