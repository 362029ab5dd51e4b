"""The domain: what a print shop's prepress knows, with no queue, database or CLI in it.

``errors`` (the error tree), ``config/`` (settings, the one loader of prepress.toml),
``files`` (spool/done/failed moves, the file hash), ``pdf/`` (reading and analysis),
``preview/`` (crop, proof, press PDF, ink coverage), ``delivery/`` (the upload algorithm over
FTP, FTPS and SFTP, remote names), ``sms`` (the smsc client), ``telegram`` (the Bot API
client), ``alerts`` (who hears about what), ``accounting`` (what a job counts for),
``backup`` and ``snapshot`` (the database backup), ``backoff`` (the one pause
before a retry, for every retry loop), ``json_values`` (times and numbers as every JSON
answer writes them). Only the shop's rules live here: the demo's
local servers and sample PDFs are in testkit/.

``chain`` defines the per-file chain once (steps, queues, labels) with the queues, modes and
final job statuses every other package uses. Each subpackage's docstring says which of its
siblings it may import (test_pipeline_rooms.py); testkit/ is never imported (test_demo_kit.py).

The rules tests/unit/test_layers.py reads from this text and checks:
May import: third-party libraries only, none of the project's other packages.
Never imports: celery, kombu, flask, click, models/, tasks/, commands/, watcher/, web/, testkit/.
"""
