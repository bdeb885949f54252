"""The pure domain: plain immutable values and functions, no I/O."""
