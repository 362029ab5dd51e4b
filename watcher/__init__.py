"""The hotfolder watcher: events -> stable file -> the caller's take (spool + enqueue)."""

from watcher.hotfolder import Hotfolder, is_ignored

__all__ = ["Hotfolder", "is_ignored"]
