"""USMCA rule data (HTSUS General Note 11), loaded by ``immex.origin.rules_data``."""
