"""The domain: what a print shop's prepress knows, with no queue, database or CLI in it.

``errors`` (the error tree), ``config/`` (settings and the reader of prepress.toml),
``files`` (spool/done/failed moves, the file hash), ``pdf/`` (reading and analysis),
``preview/`` (crop, proof, press PDF, ink coverage), ``delivery/`` (FTP, FTPS, SFTP, remote
names), ``sms`` (the smsc client), ``telegram`` (the Bot API client), ``alerts`` (who hears
about what), ``backup`` and ``snapshot`` (the database backup), ``demo/`` (the local shop,
its servers and sample PDFs).

``chain`` defines the per-file chain once (steps, queues, labels) with the queues, modes and
final job statuses every other package uses.

The rules tests/unit/test_layers.py reads from this text and checks:
May import: third-party libraries only, none of the project's other packages.
Never imports: celery, kombu, flask, click, models/, tasks/, commands/, watcher/, web/.
"""
