"""radbank: anonymize, structure and learn from an open medical-imaging data bank."""

__version__ = "0.1.0"
