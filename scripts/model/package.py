"""The `package` step: the trained pipeline as an installable Python package (`spacy package`).

The package holds the pipeline (with its vectors and doc_consistency's word lists) and one code file,
scripts/pipeline/components.py, which imports spaCy and srsly only: after `pip install` of the archive,
`spacy.load(NAME)` works from any folder, with nothing of the project, skweak or Argilla installed. Its
meta says what it was made from (the corpus, the vectors, the labelling functions that score kept) and how
well it does on dev as `evaluate` measured it (whole documents through `nlp.pipe`).
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Dict, List

import srsly
import typer
from wasabi import msg

from ..corpus.sources import CONLL2003
from ..pipeline import components
from ..project import var
from ..util.errors import UserError, check_package_name, run
from ..util.files import atomic_path
from .trained import check_unchanged

CODE = Path(components.__file__)
SYSTEM = "weakly supervised model"  # its rows in training/metrics.json

CONLL_SOURCE = {
    "name": "CoNLL 2003 English (Reuters RCV1 news): its text only, labelled by the labelling functions",
    "url": "https://www.clips.uantwerpen.be/conll2003/ner/",
    "license": "research use only (Reuters Corpus RCV1 agreement)",
}


def performance(metrics: Dict) -> Dict:
    """spaCy's meta `performance`: ents_p/r/f and ents_per_type on dev (as spacy train fills it), and the
    held-out test figures beside them; both measured by `evaluate` on whole documents."""
    out: Dict = {}
    for split in ("dev", "test"):
        scores = metrics.get(split, {}).get(SYSTEM)
        if not scores:
            continue
        prefix = "ents" if split == "dev" else "test_ents"
        out.update({f"{prefix}_{k}": round(scores[k], 4) for k in ("p", "r", "f")})
        out[f"{prefix}_per_type"] = {
            lab: {k: round(v, 4) for k, v in s.items()} for lab, s in scores["per_type"].items()
        }
    return out


def sources(fingerprint: Dict, selection: Dict, vectors: str, base_meta: Dict) -> List[Dict[str, str]]:
    """The corpus (CoNLL 2003, or the files a user fingerprinted), the vectors and the labelling functions."""
    if fingerprint.get("format") == CONLL2003:
        out = [dict(CONLL_SOURCE)]
    else:
        files = ", ".join(sorted(fingerprint.get("train", {})))
        out = [
            {"name": f"train_data: {files} (text only, labelled by the labelling functions)", "url": "", "license": ""}
        ]
    vectors_info = base_meta.get("vectors", {})
    out.append(
        {
            "name": f"static vectors of {vectors} ({vectors_info.get('name', '?')}, {vectors_info.get('vectors', '?')} "
            f"vectors of width {vectors_info.get('width', '?')})",
            "url": "https://spacy.io/models",
            "license": "see the vectors package",
        }
    )
    kept = sorted(selection.get("kept", {}))
    out.append(
        {
            "name": f"{len(kept)} labelling functions kept by score on dev (skweak, aggregated): {', '.join(kept)}",
            "url": "",
            "license": "",
        }
    )
    return out


def source_notes(model: Path, base_meta: Dict, source: str) -> Dict:
    """When the NER was fine-tuned from a pretrained pipeline: that pipeline as a source (with what it was
    trained on), and a note that the NER still holds its labels, which doc_consistency never outputs."""
    ner_labels = base_meta.get("labels", {}).get("ner", [])
    lexicons = model / "doc_consistency" / "lexicons.json"
    output = srsly.read_json(lexicons).get("output_labels") if lexicons.is_file() else None
    extra = sorted(set(ner_labels) - set(output or ner_labels))
    if not extra:
        return {}
    import spacy

    try:
        source_meta = spacy.util.get_model_meta(spacy.util.get_package_path(source)) if source else {}
    except (ImportError, OSError, ValueError):
        source_meta = {}
    trained_on = ", ".join(s.get("name", "?") for s in source_meta.get("sources", [])[:1]) or "see its meta"
    return {
        "source": {
            "name": f"NER fine-tuned from {source} {source_meta.get('version', '')} (trained on {trained_on}; "
            f"licence {source_meta.get('license', '?')})".replace("  ", " "),
            "url": "https://spacy.io/models/en",
            "license": source_meta.get("license", ""),
        },
        "labels_note": (
            f"The NER keeps the {len(extra)} labels of {source} it was fine-tuned from ({', '.join(extra)}) "
            f"besides its own; the pipeline outputs only {', '.join(output or [])} (doc_consistency drops the rest)."
        ),
    }


def module_name(meta: Dict) -> str:
    """What `spacy.load` takes: spaCy's meta name has no language prefix (the package of "weak_ner" is
    en_weak_ner)."""
    return f"{meta['lang']}_{meta['name']}"


def package_meta(base: Dict, name: str, version: str, description: str, license: str, extra: Dict) -> Dict:
    """The model's meta.json (`base`) with the package's name, version, description, license, sources and
    scores."""
    check_package_name(name, base["lang"])
    meta = dict(base)
    short = name[len(meta["lang"]) + 1 :] if name.startswith(meta["lang"] + "_") else name
    meta.update({"name": short, "version": version, "description": description, "license": license})
    meta.update(extra)
    meta["requirements"] = []  # spaCy adds itself; the shipped code needs nothing else
    return meta


def build_package(model: Path, output_dir: Path, meta: Dict) -> Path:
    """spacy package with the shipped code file, then a wheel into `output_dir`; returns it. A wheel installs
    without a build step (and without setuptools in the user's venv). Built in a temp folder: a failed build
    leaves the previous wheel in place."""
    from spacy.cli.package import package

    name = module_name(meta)
    archive = output_dir / f"{name}-{meta['version']}-py3-none-any.whl"
    with tempfile.TemporaryDirectory(prefix="package-") as tmp:
        meta_path = Path(tmp) / "meta.json"
        srsly.write_json(meta_path, meta)
        package(
            model,
            Path(tmp),
            meta_path=meta_path,
            code_paths=[CODE],
            create_sdist=False,
            create_wheel=False,
            require_parent=True,
            force=True,
            silent=True,
        )
        folder = Path(tmp) / f"{name}-{meta['version']}"
        # no build isolation: the venv's setuptools, nothing downloaded
        cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(folder / "dist")]
        result = subprocess.run([*cmd, str(folder)], capture_output=True, text=True)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise UserError(f"building the wheel of {folder.name} failed: {tail[0]}")
        built = sorted((folder / "dist").glob("*.whl"))
        if [w.name for w in built] != [archive.name]:
            raise UserError(f"building the wheel of {folder.name} made {[w.name for w in built]}, not {archive.name}")
        with atomic_path(archive) as out:
            shutil.copyfile(built[0], out)
    return archive


Arg, Opt = typer.Argument, typer.Option


def main(
    model: Annotated[Path, Arg(help="Trained pipeline, e.g. training/model-best", exists=True, file_okay=False)],
    output_dir: Annotated[Path, Arg(help="Where the wheel goes")],
    metrics: Annotated[Path, Opt("--metrics", help="evaluate's metrics.json", exists=True)],
    selection: Annotated[Path, Opt("--selection", help="score's lf_selection.json", exists=True)],
    fingerprint: Annotated[Path, Opt("--fingerprint", help="data's data_fingerprint.json", exists=True)],
    name: Annotated[str, Opt("--name", help="Package name (a module name, e.g. en_weak_ner)")] = var("package_name"),
    version: Annotated[str, Opt("--version", help="Package version")] = var("package_version"),
    description: Annotated[str, Opt("--description")] = var("package_description"),
    license: Annotated[str, Opt("--license")] = var("package_license"),
    vectors: Annotated[str, Opt("--vectors", help="The vectors' pipeline (for the sources)")] = var("vectors_model"),
    source: Annotated[str, Opt("--source", help="The pipeline whose NER was fine-tuned (for the sources)")] = var(
        "source_model"
    ),
):
    """Build an installable package of the trained pipeline: pip install it, then spacy.load(NAME)."""
    check_unchanged(model)
    base = srsly.read_json(model / "meta.json")
    notes = source_notes(model, base, source)
    extra = {
        "sources": sources(srsly.read_json(fingerprint), srsly.read_json(selection), vectors, base)
        + ([notes["source"]] if notes else []),
        "performance": performance(srsly.read_json(metrics)),
    }
    if notes:
        extra["labels_note"] = notes["labels_note"]
    meta = package_meta(base, name, version, description, license, extra)
    archive = build_package(model, output_dir, meta)
    size = archive.stat().st_size / 1e6
    msg.good(f"Built {archive} ({size:.0f} MB): pip install {archive}, then spacy.load({module_name(meta)!r})")


if __name__ == "__main__":
    run(main)
