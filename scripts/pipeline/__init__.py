"""What ships inside the trained pipeline (components.py: its tokenizer and doc_consistency): it may import
spaCy, srsly and the standard library only, nothing of the project, as `spacy package --code` copies it alone."""
