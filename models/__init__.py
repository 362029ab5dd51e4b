"""The job records: SQLModel tables (``job``), engines and migrations (``db``, ``migrations/``,
changed only through alembic), and what reads and writes them: the store every layer uses
(``store``), the step lifecycle (``steps``: claim, finish, wait, first unfinished, reset), the
job record the CLI, the API and the job page show (``record``), incidents, settings and the
last backup (``incidents``), the shop's pushed settings (``shop_settings``) and the grid's and
plate report's queries (``report``).

The rules tests/unit/test_layers.py reads from this text and checks:
May import: pipeline/ (the domain: errors, the chain, accounting).
Never imports: celery, kombu, flask, click, tasks/, commands/, watcher/, web/.
"""
