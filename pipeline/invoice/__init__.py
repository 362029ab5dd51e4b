"""A CTP bureau's invoice checked against the plates we sent it.

``sheets`` turns the file's bytes into rows of cells: CSV in any encoding and separator Excel
writes, or XLSX read through openpyxl (values only, formulas never evaluated), within limits of
size and lines. ``lines`` finds the header the bureau's ``[outputters.NAME.invoice]`` names
and reads each line's date, file or order, format, plates and price; a bad cell is an error
naming its line and column. ``matching`` gives every line a status against the jobs we sent
(matched, quantity_differs, price_differs, billed_twice, not_sent) and finds our jobs of the
period no line bills (not_billed). An invoice file is hostile input: nothing here trusts it.

May import: pipeline.config, pipeline.errors, pipeline.text, pipeline.accounting.
"""
