"""theorylab: executable mathematics for nine ML-theory papers."""

__version__ = "0.1.0"
