"""Reports an auditor can read: CSV for machines and Excel users, XLSX with formatting, PDF."""
