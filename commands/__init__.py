"""The command line: ``prepress`` (``cli``: the root group, subcommands loaded lazily), one module
per family of subcommands, the ``supervisor`` that ``prepress up`` runs, and the demo.

An interface: it holds no domain rule of its own; operator actions go through tasks/actions.py.

The rules tests/unit/test_layers.py reads from this text and checks:
May import: pipeline/, models/, tasks/, watcher/, web/ (``prepress web`` serves the dashboard).
Never imports: celery, kombu, flask.
"""
