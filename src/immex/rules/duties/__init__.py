"""Duty and tax data (DTA, IVA, T-MEC Art. 2.5, catalogs, tariff), loaded by ``immex.duties.rules_data``."""
