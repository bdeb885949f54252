"""Vectorized engines beside the simple domain versions, tested to give the same output.

``immex.compute.discharge_fast`` is the FIFO discharge on NumPy/Polars columns;
``immex.compute.ledger_frames`` reads the contract's input folder into columns
without building one Python object per row.
"""
