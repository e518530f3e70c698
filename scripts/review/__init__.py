"""Human review of the weak labels in Argilla 2.x: push what each labelling function found, pull reviews.

- `records`: one record per sentence text (fields, questions, suggestions, metadata): pure functions
- `client`: which server, the connection, SDK errors as one line of advice
- `dataset`: the dataset's settings, created once and checked on every push
- `push`: log records, remove the suggestions of functions that stopped firing
- `pull`: submitted and discarded reviews merged into the reviewed set, each attached to its sentence's text
- `__main__`: `python -m scripts.review push|pull`, the `review-push` and `review-pull` steps

Imports `scripts.corpus`, and `scripts.argilla_server` for the local server's address and key.
"""
