"""Printed documents: receipts and reports as PDF (fpdf2, with an embedded Unicode font).

:mod:`crpm_core.printing.receipt` prints an order, :mod:`crpm_core.printing.report` the sales
reports. :func:`money` and :func:`local_time` write amounts and times as the documents do, for
the command line's text output.
"""

from crpm_core.printing._document import local_time, money

__all__ = ["local_time", "money"]
