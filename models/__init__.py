"""The job records: SQLModel tables (``job``), the store every layer uses (``store``), engines
and migrations (``db``, ``migrations/``, changed only through alembic).

May import pipeline.errors; never celery, tasks/, commands/ or watcher/.
"""
