"""The version, in a module of its own: low modules (the parse-table cache) read it without
importing the package's public surface."""

__version__ = "0.1.0"
