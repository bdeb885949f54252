"""immex: open-source compliance for Mexican IMMEX (maquiladora) manufacturers."""

__version__ = "0.1.0"
