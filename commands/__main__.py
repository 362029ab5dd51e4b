"""``python -m commands`` is the ``prepress`` command (used by the supervisor of ``up``)."""

from commands.cli import main

main()
