"""Labelling functions for medicine reviews (labels DRUG and CONDITION): the example of a user's own functions.

`annotate` imports this file when --vars.lf_code points at this folder; examples/drugs/presets.yml names them.
"""

from scripts.lfs.registry import gazetteer, labelling_function, patterns, pipeline

# Word lists: about half of the names in the reviews (the rest is for the other functions and the model).
gazetteer("drug_list", "drugs.txt", label="DRUG", case_sensitive=False, roles=["doc_vote"])
gazetteer("condition_list", "conditions.txt", label="CONDITION", case_sensitive=False, roles=["doc_vote"])

# Conditions with a known shape: "type 2 diabetes", acronyms such as GERD or COPD, "... pain".
patterns("condition_patterns", "patterns.jsonl", attr="LOWER")

# Any installed spaCy pipeline, its labels mapped to ours: en_core_web_md calls some brands PRODUCT.
pipeline("md_products", "en_core_web_md", {"PRODUCT": "DRUG"})

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
