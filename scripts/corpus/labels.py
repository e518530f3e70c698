"""Labels and span-group names: what the corpus calls gold, what is a labelling function, label maps."""

from typing import Iterable, List, Sequence, Set, Tuple

from spacy.tokens import Doc

from ..util.errors import check_labels

# (start token, end token, label): how the labelling functions, the voters and the corrections speak.
SpanTuple = Tuple[int, int, str]

# The span group holding gold entities (dev and test; train loses it before anything else sees it).
GOLD = "gold"
# The label of a negative function's spans ("these tokens are no entity"): lower case, so that it is never one
# of the project's labels; the label models read such a function's spans as O votes and abstain elsewhere.
NOT_ENTITY = "not_entity"
# doc.user_data key: the negative functions among the functions that ran (written only when there are some).
NEGATIVE = "lf_negative"
# The attr that marks a label model's votes (skweak's aggregators set it too): such a group is no function.
AGGREGATED = "aggregated"
# doc.user_data key: the labelling functions that ran on a doc. `annotate` keeps a function's span group only
# where it found something: an empty group costs as much to write and read as a full one, and 87% of them are
# empty on CoNLL (most of the I/O of annotate, score and aggregate). A missing group reads as no spans.
FUNCTIONS = "lf_names"

# OntoNotes (spaCy's English pipelines) -> CoNLL 2003. Labels not listed have no CoNLL counterpart.
ONTONOTES_TO_CONLL = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}


def parse_labels(labels: str, var: str = "labels") -> List[str]:
    """'ORG,PER' -> ['ORG', 'PER'] (order kept, duplicates and blanks dropped); a UserError naming the var
    if it names no label or one is not an upper-case name."""
    return check_labels(labels, var)


def lf_names(docs: Iterable[Doc], exclude: Sequence[str] = ()) -> List[str]:
    """Names of the labelling functions of the docs (sorted): those that ran (`FUNCTIONS`) and every span
    group but gold, a label model's votes (marked `AGGREGATED`) and `exclude`."""
    names: Set[str] = set()
    votes: Set[str] = set()
    listed: Set[Tuple[str, ...]] = set()
    for doc in docs:
        for name, group in doc.spans.items():
            (votes if group.attrs.get(AGGREGATED) else names).add(name)
        listed.add(tuple(doc.user_data.get(FUNCTIONS, ())))
    names.update(name for names_of_doc in listed for name in names_of_doc)
    return sorted(names - votes - {GOLD} - set(exclude))


def drop_empty_groups(doc: Doc, functions: Sequence[str], negative: Sequence[str] = ()) -> Doc:
    """Record the `functions` that ran on `doc` (and which are `negative`, if any) and remove the span groups
    where they found nothing."""
    for name in functions:
        group = doc.spans.get(name)
        if group is not None and not len(group) and not group.attrs:
            del doc.spans[name]
    doc.user_data[FUNCTIONS] = list(functions)
    if negative:
        doc.user_data[NEGATIVE] = list(negative)
    return doc
