"""Reading what the tool is given: settings, unit cost tables, deflators, case files, the GMCA
workbook; each file opened safely and each problem collected."""
