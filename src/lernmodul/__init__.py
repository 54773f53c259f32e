"""lernmodul: e-learning modules and a quiz engine. Importing this package does not import Flask."""

__version__ = "0.1.0"
