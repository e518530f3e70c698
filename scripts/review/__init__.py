"""Human review of the weak labels in Argilla 2.x: push what each labelling function found, pull reviews.

- `records`: one record per sentence text (fields, questions, suggestions, metadata): pure functions
- `client`: which server, the connection, SDK errors as one line of advice
- `dataset`: the dataset's settings, created once and checked on every push
- `push`: log records, remove the suggestions of functions that stopped firing
- `pull`: submitted and discarded reviews merged into the reviewed set, each attached to its sentence's text
- `dev`: train documents pushed without suggestions to be labelled from scratch, pulled back as dev
  (`corpus/dev_from_train.spacy`, whose contract is in `scripts.corpus.dev_from_train`)
- `__main__`: `python -m scripts.review push|pull|push-dev|pull-dev`, the `review-push`, `review-pull`,
  `dev-push` and `dev-pull` steps

Imports `scripts.corpus`, `scripts.util`, and `scripts.argilla_server` for the local server's address and key.

The review contract: what any review tool (this Argilla loop, Prodigy, Label Studio, a script) writes into
`corpus/reviewed.spacy` for `aggregate` to apply it (`scripts.labelmodel.reviews` reads it;
tests/test_review_contract.py writes one with spaCy alone):

- the file is one spaCy DocBin saved with `store_user_data=True` (the `data` step creates it empty); a tool
  replaces it atomically and keeps every review it does not change: they are the most precious data here;
- one Doc per reviewed sentence, with the words of the sentence as `convert` tokenised it (the sentence
  of `corpus/train_aggregated`, `doc.text` equal to its text): a review whose words differ is not applied;
- `doc.user_data["split"]`: "train" for a review that trains; reviews of other splits ("dev", "test") are
  kept and counted, never trained on (dev and test are for scoring);
- `doc.user_data["text_sha1"]`: the sha1 of the sentence's text, trailing whitespace stripped
  (`scripts.corpus.docbin.sha1_of_text`); computed from the Doc's text when missing. A review follows its
  text, not a sentence number: a sentence edited upstream loses it, one moved keeps it; a review whose text
  is in no train sentence stays in the file, counted as `not_in_corpus`;
- `doc.user_data["review_status"]`: "discarded" takes the sentence out of training; any other value (Argilla
  says "submitted") makes `doc.ents` the sentence's entities, replacing its weak labels: an empty
  `doc.ents` says the sentence has none. Entities of labels outside the project's are the tool's to drop;
- one review per (split, text): the last one in the file wins;
- optional, kept for provenance: `index` and `doc_id` (where the sentence was), `review_user_id`,
  `review_updated_at` (ISO 8601: `pull` keeps the newer of two reviews of a text), `review_dataset`,
  `review_record_id`.
"""
