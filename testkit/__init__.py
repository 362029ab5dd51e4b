"""The demo kit: stand-ins for the shop's outside world, and the shop that uses them.

``shop`` writes the prepress.toml of a shop whose targets are all local; ``sinks`` are the
FTP and FTPS servers, the smsc look-alike (``sms_sink``), the Telegram look-alike
(``telegram_sink``) and the fault makers (a silent server, a line that drops) those targets
point at; ``samples`` writes Signa-like PDFs. ``prepress demo`` (commands/demo.py), the tests
and the benchmarks use them. Nothing here is a rule of the shop, so none of it lives in
pipeline/, and pipeline/ never imports it.

May import the standard library, Pillow and the ``demo`` extra (pyftpdlib, pyopenssl,
cryptography: ``pip install 'prepress[demo]'``); of prepress only the TOML writer
(pipeline/config/shared.py ``toml_text``), so every prepress.toml is written one way.
"""
