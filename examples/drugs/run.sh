#!/usr/bin/env bash
# A workflow of the project on the drug-review example, from anywhere:
#   bash examples/drugs/run.sh                 # all: convert, annotate, score, aggregate, train, evaluate, report, package
#   bash examples/drugs/run.sh before-review   # ... and push to Argilla (start `spacy project run argilla-serve` first)
#   bash examples/drugs/run.sh after-review    # pull the reviews, retrain
# Further arguments are passed on (e.g. --vars.max_steps 50). It writes corpus/ and training/, as the CoNLL run does.
set -euo pipefail
cd "$(dirname "$0")/../.."
workflow=all
if [[ $# -gt 0 && $1 != --* ]]; then workflow=$1; shift; fi
spacy project run "$workflow" . \
  --vars.train_data examples/drugs/data/train.txt \
  --vars.dev_data examples/drugs/data/dev.jsonl \
  --vars.test_data examples/drugs/data/test.jsonl \
  --vars.labels DRUG,CONDITION \
  --vars.lf_code examples/drugs/lfs \
  --vars.presets examples/drugs/presets.yml --vars.preset drugs \
  --vars.baseline_label_map PRODUCT:DRUG \
  --vars.max_steps 150 --vars.argilla_dataset drugs-weak \
  --vars.package_name en_drug_ner --vars.package_license "synthetic example data (examples/drugs/make_corpus.py)" \
  "$@"
