"""Rendering the report: text, JSON and the Excel workbook, and the text safety of every cell."""
