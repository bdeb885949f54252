"""The Anexo 24 ledger: model (pure values), schema (each input table once), readers, store, use cases."""
