"""Weak supervision for NER with skweak and spaCy: the project's importable code.

Each module with a `main` is a thin typer CLI run as `python -m scripts.NAME` from the project root.
"""
