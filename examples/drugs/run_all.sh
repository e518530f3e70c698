#!/usr/bin/env bash
# The whole workflow on the drug-review example: `bash examples/drugs/run_all.sh` from the project folder.
# Extra arguments are passed on (e.g. --vars.max_steps 50). It writes corpus/ and training/ like the CoNLL run.
set -euo pipefail
cd "$(dirname "$0")/../.."
spacy project run all . \
  --vars.train_data examples/drugs/data/train.txt \
  --vars.dev_data examples/drugs/data/dev.jsonl \
  --vars.test_data examples/drugs/data/test.jsonl \
  --vars.labels DRUG,CONDITION \
  --vars.lf_code examples/drugs/lfs \
  --vars.presets examples/drugs/presets.yml --vars.preset drugs \
  --vars.baseline_label_map PRODUCT:DRUG \
  --vars.max_steps 300 --vars.argilla_dataset drugs-weak \
  "$@"
