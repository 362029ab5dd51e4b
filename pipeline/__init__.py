"""The domain: what a print shop's prepress knows, with no queue, database or CLI in it.

``errors`` (the error tree), ``config/`` (settings and the reader of prepress.toml),
``files`` (spool/done/failed moves, the file hash), ``pdf/`` (reading and analysis),
``preview/`` (crop, proof, press PDF, ink coverage), ``delivery/`` (FTP, FTPS, SFTP, remote
names), ``sms`` (the smsc client), ``telegram`` (the Bot API client), ``alerts`` (who hears
about what), ``backup`` and ``snapshot`` (the database backup), ``demo/`` (the local shop,
its servers and sample PDFs).

May import only itself and third-party libraries; never celery, tasks/, models/, commands/ or
watcher/ (tests/unit/test_layers.py checks it).
"""
