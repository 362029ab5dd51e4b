"""``python -m pipeline`` is the ``prepress`` command (used by the supervisor of ``up``)."""

from pipeline.cli import main

main()
