"""Write the example corpus: patient reviews of medicines, labels DRUG and CONDITION.

The texts are written by us from templates (a synthetic corpus, so that the project ships a second domain
with no licence question): 400 unlabelled reviews for train (train.txt, one review a line), 60 labelled
reviews for dev (dev.jsonl, character spans) and 60 for test (test.jsonl). The same seed writes the same
files; the checked-in files are its output:

    python examples/drugs/make_corpus.py examples/drugs/data

About half of the drug and condition names are in the labelling functions' word lists (lfs/drugs.txt,
lfs/conditions.txt); the others only the suffix and context functions can find, so the model has something
to generalise to.
"""

import json
import random
import sys
from pathlib import Path

# Generic names (lower case in reviews) and brands (capitalised); the word lists of lfs/ hold every other one.
DRUGS = [
    "ibuprofen",
    "paracetamol",
    "acetaminophen",
    "naproxen",
    "aspirin",
    "diclofenac",
    "celecoxib",
    "tramadol",
    "codeine",
    "oxycodone",
    "gabapentin",
    "pregabalin",
    "amitriptyline",
    "sertraline",
    "fluoxetine",
    "citalopram",
    "escitalopram",
    "venlafaxine",
    "duloxetine",
    "bupropion",
    "mirtazapine",
    "trazodone",
    "lorazepam",
    "alprazolam",
    "diazepam",
    "clonazepam",
    "zolpidem",
    "melatonin",
    "quetiapine",
    "aripiprazole",
    "lithium",
    "lamotrigine",
    "metformin",
    "insulin",
    "sitagliptin",
    "atorvastatin",
    "simvastatin",
    "rosuvastatin",
    "lisinopril",
    "enalapril",
    "ramipril",
    "losartan",
    "valsartan",
    "amlodipine",
    "nifedipine",
    "metoprolol",
    "atenolol",
    "propranolol",
    "bisoprolol",
    "hydrochlorothiazide",
    "furosemide",
    "warfarin",
    "apixaban",
    "clopidogrel",
    "omeprazole",
    "pantoprazole",
    "esomeprazole",
    "lansoprazole",
    "ranitidine",
    "famotidine",
    "loratadine",
    "cetirizine",
    "fexofenadine",
    "montelukast",
    "salbutamol",
    "fluticasone",
    "prednisone",
    "amoxicillin",
    "azithromycin",
    "doxycycline",
    "ciprofloxacin",
    "clarithromycin",
    "fluconazole",
    "acyclovir",
    "valacyclovir",
    "levothyroxine",
    "adalimumab",
    "infliximab",
    "rituximab",
    "sumatriptan",
    "rizatriptan",
    "topiramate",
    "methotrexate",
    "hydroxychloroquine",
    "isotretinoin",
    "tamsulosin",
    "finasteride",
    "sildenafil",
]
BRANDS = [
    "Advil",
    "Tylenol",
    "Aleve",
    "Motrin",
    "Lyrica",
    "Neurontin",
    "Zoloft",
    "Prozac",
    "Lexapro",
    "Celexa",
    "Effexor",
    "Cymbalta",
    "Wellbutrin",
    "Xanax",
    "Ativan",
    "Valium",
    "Klonopin",
    "Ambien",
    "Seroquel",
    "Abilify",
    "Lamictal",
    "Glucophage",
    "Januvia",
    "Lipitor",
    "Zocor",
    "Crestor",
    "Zestril",
    "Cozaar",
    "Norvasc",
    "Lopressor",
    "Lasix",
    "Coumadin",
    "Eliquis",
    "Plavix",
    "Prilosec",
    "Nexium",
    "Pepcid",
    "Claritin",
    "Zyrtec",
    "Allegra",
    "Singulair",
    "Ventolin",
    "Flonase",
    "Zithromax",
    "Cipro",
    "Diflucan",
    "Valtrex",
    "Synthroid",
    "Humira",
    "Imitrex",
    "Topamax",
    "Plaquenil",
    "Accutane",
    "Flomax",
    "Viagra",
]
CONDITIONS = [
    "headache",
    "migraine",
    "back pain",
    "arthritis",
    "rheumatoid arthritis",
    "fibromyalgia",
    "neuropathy",
    "depression",
    "anxiety",
    "panic attacks",
    "insomnia",
    "bipolar disorder",
    "schizophrenia",
    "ADHD",
    "diabetes",
    "type 2 diabetes",
    "high blood pressure",
    "hypertension",
    "high cholesterol",
    "heart failure",
    "atrial fibrillation",
    "acid reflux",
    "heartburn",
    "GERD",
    "ulcer",
    "allergies",
    "hay fever",
    "asthma",
    "COPD",
    "bronchitis",
    "pneumonia",
    "sinus infection",
    "urinary tract infection",
    "acne",
    "psoriasis",
    "eczema",
    "shingles",
    "cold sores",
    "hypothyroidism",
    "Crohn's disease",
    "ulcerative colitis",
    "lupus",
    "gout",
    "osteoporosis",
    "epilepsy",
    "seizures",
    "nerve pain",
    "toothache",
    "menstrual cramps",
    "sore throat",
]
PEOPLE = ["My doctor", "My GP", "The nurse practitioner", "My psychiatrist", "A specialist", "The ER doctor"]
DOSES = ["5 mg", "10 mg", "20 mg", "25 mg", "50 mg", "100 mg", "200 mg", "400 mg", "500 mg", "one tablet"]
TIMES = ["two weeks", "a month", "three months", "six months", "a year", "ten days", "two years"]
EFFECTS = [
    "dizziness",
    "nausea",
    "weight gain",
    "dry mouth",
    "drowsiness",
    "a rash",
    "stomach upset",
    "fatigue",
    "vivid dreams",
    "no side effects at all",
]

# {D}: a drug, {C}: a condition; the rest is filled from the lists above.
SENTENCES = [
    "I was prescribed {D} for my {C}.",
    "{P} put me on {D} {dose} for {C}.",
    "Took {D} for {time} and my {C} is much better.",
    "{D} worked well for my {C} but gave me {effect}.",
    "After {time} on {D} I stopped because of {effect}.",
    "I have had {C} for years and {D} is the first thing that helped.",
    "{D} did nothing for my {C}.",
    "Switched from {D} to {D} and the {effect} went away.",
    "{P} suggested {D} when {D} stopped working.",
    "Great for {C}, terrible for sleep.",
    "I take {D} {dose} every morning.",
    "Be careful mixing {D} with {D}.",
    "{D} is cheap and it works.",
    "The {effect} from {D} was hard to live with.",
    "I use {D} only when the {C} flares up.",
    "My {C} came back a week after I ran out of {D}.",
    "Side effects: {effect} and some {effect}.",
    "Honestly the pharmacy was the worst part.",
    "{P} says I might need it for {time}.",
    "It took {time} to notice a difference.",
    "Would recommend {D} to anyone with {C}.",
    "Not sure if it is the {D} or the {C} that makes me tired.",
    "Started {D} {dose} for {C} and {D} for the {C}.",
    "Without {D} I could not manage my {C}.",
]


def fill(template: str, rng: random.Random):
    """The sentence text and its (start, end, label) character spans."""
    text, spans, i = "", [], 0
    while i < len(template):
        if template.startswith("{D}", i) or template.startswith("{C}", i):
            if template[i + 1] == "D":
                name = rng.choice(DRUGS) if rng.random() < 0.6 else rng.choice(BRANDS)
                label = "DRUG"
            else:
                name, label = rng.choice(CONDITIONS), "CONDITION"
            if not text or text.endswith(". "):
                name = name[0].upper() + name[1:]
            spans.append((len(text), len(text) + len(name), label))
            text += name
            i += 3
            continue
        for slot, choices in (("{P}", PEOPLE), ("{dose}", DOSES), ("{time}", TIMES), ("{effect}", EFFECTS)):
            if template.startswith(slot, i):
                text += rng.choice(choices)
                i += len(slot)
                break
        else:
            text += template[i]
            i += 1
    return text, spans


def review(rng: random.Random):
    text, spans = "", []
    for _ in range(rng.choice([1, 2, 2, 3, 3, 4])):
        if text:
            text += " "
        sentence, found = fill(rng.choice(SENTENCES), rng)
        spans += [(s + len(text), e + len(text), lab) for s, e, lab in found]
        text += sentence
    return text, spans


def main(out: Path, seed: int = 13) -> None:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "train.txt", "w", encoding="utf8") as f:
        for _ in range(400):
            f.write(review(rng)[0] + "\n")
    for split in ("dev", "test"):
        with open(out / f"{split}.jsonl", "w", encoding="utf8") as f:
            for k in range(60):
                text, spans = review(rng)
                record = {
                    "text": text,
                    "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in spans],
                    "meta": {"doc_id": f"{split}-{k}"},
                }
                f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data")
