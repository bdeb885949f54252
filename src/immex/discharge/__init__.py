"""The discharge (descargo): methods (pure), deadlines, the vectorized twin, runs, outputs, use cases."""
