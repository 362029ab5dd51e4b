"""The command line: ``prepress`` (``cli``: the root group, subcommands loaded lazily), one module
per family of subcommands, the ``supervisor`` that ``prepress up`` runs, and the demo.

An interface: it may import tasks/, models/, watcher/ and pipeline/, and holds no domain rule
of its own.
"""
