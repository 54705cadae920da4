"""Benign train rows of the content an agent's tools hand a model: knowledge-base articles and issue reports.

An agent reads what its tools return (a retrieved help-centre article, an issue it is asked to fix) and the
guard scans it as input. Such text is written to instruct its reader ("Verify the customer's identity",
"Steps to reproduce: 1. Open the app"), and the second model learned instructions addressed to a reader from
the planted injections it trains on: the default policy flagged 7.3% of AgentDojo's clean workspace records and
19.2% of b3's user turns, and the second model decided 47 of the external check's 87 false positives (14 of
them WritingBench's writing tasks). Two benchmarks in the inspect-evals wheel (MIT, pinned
below and checked against its sha256, never copied into the repository) hold such text, and neither is in
the external check:

* τ²-bench's banking knowledge base (sierra-research/tau2-bench, MIT): the internal articles a support agent
  searches, procedures and policies in Markdown;
* SWE-Lancer's tasks: issue reports of the Expensify app (github.com/Expensify/App, MIT), each with its
  steps to reproduce, expected and actual result.

The external check draws AgentDojo, b3, the ipi_coding_agent repositories, WritingBench and PersistBench from
the same wheel: other benchmarks, some of the same kind (issue texts, tool records), so a model trained on these
rows meets a new source of a kind it has seen there.

Only with `--tool-content` (both trainers): measured, not shipped. Both models trained on them cut the external
check's false positives from 3.4% to 2.9% but flagged three more persona prompts on validation (FPR 2.1%); see
the n-gram card's "Alternatives measured".
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zipfile
from pathlib import Path

from .external import INSPECT_EVALS
from .pypi import fetch_wheel

KB_DOCUMENTS = "inspect_evals/tau2/data/domains/banking_knowledge/documents.json.gz"
SWE_LANCER_TASKS = "inspect_evals/swe_lancer/data/all_swelancer_tasks.csv"
GROUP_KB = "tau2_banking_knowledge"
GROUP_ISSUES = "swe_lancer_issues"
LICENSE_KB = "MIT (tau2-bench, via inspect-evals)"
LICENSE_ISSUES = "MIT (Expensify/App issues, via inspect-evals)"
# As readmes.py: a few very long texts would otherwise outweigh the rest.
MAX_CHARS = 20_000
MIN_CHARS = 200


def _row(text: str, source: str, license_: str, group: str) -> dict:
    return {"text": text, "label": "benign", "source": source, "license": license_, "split": "train", "group": group}


def knowledge_base_rows(wheel: Path) -> list[dict]:
    """One row per article (its title, then its body), in the file's order."""
    with zipfile.ZipFile(wheel) as zf:
        documents = json.loads(gzip.decompress(zf.read(KB_DOCUMENTS)))
    rows = []
    for doc in documents:
        text = f"# {doc['title'].strip()}\n\n{doc['content'].strip()}"[:MAX_CHARS]
        if len(text) >= MIN_CHARS:
            rows.append(_row(text, f"sierra-research/tau2-bench:{doc['id']}", LICENSE_KB, GROUP_KB))
    return rows


def issue_rows(wheel: Path) -> list[dict]:
    """One row per distinct issue description (tasks repeat an issue per variant), in the file's order."""
    csv.field_size_limit(MAX_CHARS * 100)
    with zipfile.ZipFile(wheel) as zf:
        tasks = list(csv.DictReader(io.StringIO(zf.read(SWE_LANCER_TASKS).decode("utf-8"))))
    rows: list[dict] = []
    seen: set[str] = set()
    for task in tasks:
        # The CSV keeps the issue's line breaks as the two characters backslash and n.
        text = task["description"].replace("\\n", "\n").strip()[:MAX_CHARS]
        if len(text) < MIN_CHARS or text.casefold() in seen:
            continue
        seen.add(text.casefold())
        rows.append(_row(text, f"openai/SWELancer-Benchmark:{task['question_id']}", LICENSE_ISSUES, GROUP_ISSUES))
    return rows


def tool_content_rows() -> list[dict]:
    wheel = fetch_wheel(INSPECT_EVALS)
    return knowledge_base_rows(wheel) + issue_rows(wheel)


def provenance(rows: list[dict]) -> dict:
    """Per group: the wheel, the member read, the row count and a digest of the texts (what was trained on)."""
    out = {}
    for group, member, license_ in ((GROUP_KB, KB_DOCUMENTS, LICENSE_KB), (GROUP_ISSUES, SWE_LANCER_TASKS, LICENSE_ISSUES)):
        texts = [r["text"] for r in rows if r["group"] == group]
        out[group] = {
            **INSPECT_EVALS,
            "member": member,
            "license": license_,
            "rows": len(texts),
            "sha256_of_texts": hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest(),
        }
    return out
