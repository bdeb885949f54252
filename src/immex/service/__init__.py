"""Use cases: each opens what it needs, calls the pure domain and saves."""
