"""Shared small things every feature uses: problems, parsing, tables, fingerprint, progress."""
