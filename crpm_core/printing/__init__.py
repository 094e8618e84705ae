"""Printed documents: receipts and reports as PDF (fpdf2, with an embedded Unicode font)."""
