"""Data Stage: the ZIP reader, its layouts, the store and summaries."""
