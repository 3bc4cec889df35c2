"""Recording case records and keeping them right over their life: guided entry, the intake
workbook, corrections, withdrawal, the history of changes, and safe writing of case files."""
