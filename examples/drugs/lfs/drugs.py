"""Labelling functions for medicine reviews (labels DRUG and CONDITION): the example of a user's own functions,
a negative one (not_names) and a document function (paired_drug) among them.

`annotate` imports this file when --vars.lf_code points at this folder; examples/drugs/presets.yml names them.
"""

from scripts.lfs.registry import document_function, gazetteer, labelling_function, patterns

# Word lists: about half of the names in the reviews (the rest is for the other functions and the model).
gazetteer("drug_list", "drugs.txt", label="DRUG", case_sensitive=False, roles=["doc_vote"])
gazetteer("condition_list", "conditions.txt", label="CONDITION", case_sensitive=False, roles=["doc_vote"])

# Conditions with a known shape: "type 2 diabetes", acronyms such as GERD or COPD, "... pain".
patterns("condition_patterns", "patterns.jsonl", attr="LOWER")

# en_core_web_md, which calls some brands PRODUCT, is declared in presets.yml (`pipelines:`): the pretrained
# step runs it once, so that editing this file does not rerun it.

# Stems of international non-proprietary names (WHO): -pril is an ACE inhibitor, -statin a statin, ...
STEMS = (
    "mab",
    "pril",
    "sartan",
    "statin",
    "olol",
    "azole",
    "prazole",
    "cillin",
    "mycin",
    "cycline",
    "floxacin",
    "tidine",
    "triptan",
    "dipine",
    "azepam",
    "azolam",
    "oxetine",
    "pram",
    "afil",
    "gliptin",
    "ciclovir",
    "profen",
    "tadine",
    "pine",
    "tiapine",
    "triptyline",
    "lukast",
    "osin",
    "mide",
    "xaban",
    "grel",
    "idone",
    "amate",
)
CUES = {"prescribed", "took", "take", "taking", "started", "starting", "using", "mixing", "switched"}
NOT_CONDITIONS = {"doctor", "gp", "psychiatrist", "nurse", "specialist", "pharmacy", "insurance", "family"}


@labelling_function("drug_suffix", labels=["DRUG"], roles=["doc_vote"])
def drug_suffix(doc):
    """A word that ends in an INN stem ("lisinopril", "atorvastatin")."""
    for tok in doc:
        if tok.is_alpha and len(tok) > 5 and tok.lower_.endswith(STEMS):
            yield tok.i, tok.i + 1, "DRUG"


@labelling_function("dose_context", labels=["DRUG"])
def dose_context(doc):
    """The word before a dose: "metoprolol 50 mg"."""
    for tok in doc[:-2]:
        nxt = doc[tok.i + 1]
        if tok.is_alpha and not tok.is_stop and nxt.like_num and doc[tok.i + 2].lower_ == "mg":
            yield tok.i, tok.i + 1, "DRUG"


@labelling_function("took_context", labels=["DRUG"])
def took_context(doc):
    """The word after "took", "prescribed", "started" ... (and "on" after them: "put me on Lexapro")."""
    for tok in doc[:-1]:
        nxt = doc[tok.i + 1]
        if tok.lower_ in CUES and nxt.is_alpha and not nxt.is_stop:
            yield nxt.i, nxt.i + 1, "DRUG"


@labelling_function("for_my_condition", labels=["CONDITION"])
def for_my_condition(doc):
    """What follows "my" up to the next punctuation or function word: "for my high blood pressure"."""
    for tok in doc:
        if tok.lower_ != "my":
            continue
        end = tok.i + 1
        while end < len(doc) and end - tok.i <= 3 and doc[end].is_alpha and not doc[end].is_stop:
            end += 1
        if end > tok.i + 1 and doc[tok.i + 1].lower_ not in NOT_CONDITIONS:
            yield tok.i + 1, end, "CONDITION"


# Words that are never part of a drug's or a condition's name: where another function's span runs over them
# ("my hay fever came back"), they vote O.
gazetteer("not_names", "not_names.txt", case_sensitive=False, negative=True)


@document_function("paired_drug", labels=["DRUG"])
def paired_drug(doc):
    """ "suggested A when B stopped working", "switched from A to B": where the review's document vote calls
    one of the two a DRUG, the other one is a DRUG too."""
    drugs = {s.start for s in doc.spans.get("doc_vote", []) if s.label_ == "DRUG" and len(s) == 1}
    for tok in doc[1:-1]:
        before, after = doc[tok.i - 1].lower_, doc[tok.i + 1]
        if before in ("suggested", "from") and after.lower_ in ("when", "to") and tok.i + 2 < len(doc):
            first, second = tok.i, tok.i + 2
            for known, other in ((first, second), (second, first)):
                if known in drugs and other not in drugs and doc[other].is_alpha and not doc[other].is_stop:
                    yield other, other + 1, "DRUG"
