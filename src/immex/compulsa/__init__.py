"""Reconciliation (compulsa) of the ledger against the Data Stage."""
