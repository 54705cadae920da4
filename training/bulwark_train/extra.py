"""Training rows from outside the shared dataset: everyday chat turns, written hard negatives, written user prompts.

Leave-one-source-out showed that a benign style neither model has seen is flagged far more often than the
validation split suggests, and short chat turns addressed to the assistant ("Are you proud of me?",
"Chatbot, I'm scared. Can you comfort me?") were among them. The ChatterBot corpus (BSD licence, fetched
from PyPI at a pinned version and checked against its sha256, never copied into the repository) supplies
such turns; hard_negatives.py supplies trigger words in innocent sentences; readmes.py supplies long documents
that instruct their reader (npm package READMEs); user_prompts.py supplies user prompts written for Bulwark,
benign ones with attack words and attacks in styles the dataset lacks (the only malicious rows here). All go
to the train split only.
application_texts.py's written system prompts and replies (`--application-texts`, first model) and
tool_content.py's knowledge-base articles and issue reports (`--tool-content`, both models) join them only
when asked: measured, not shipped (see the n-gram card's "Alternatives measured").
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import yaml

from . import application_texts, readmes, tool_content, user_prompts
from .hard_negatives import hard_negative_rows
from .pypi import fetch_wheel

CHATTERBOT = {
    "package": "chatterbot-corpus",
    "version": "1.3.3",
    "wheel": "chatterbot_corpus-1.3.3-py2.py3-none-any.whl",
    "sha256": "86de5300afb9a80826386339d3bec79c0a72eb0358abb8327e2ecef5ae0ce154",
    "repository": "gunthercox/chatterbot-corpus",
    "license": "BSD (PyPI classifier of chatterbot-corpus 1.3.3)",
}
CHATTERBOT_GROUP = "chatterbot_corpus"
ENGLISH = "chatterbot_corpus/data/english/"


def chatterbot_rows(wheel: Path) -> list[dict]:
    """The opening turn of every English conversation (the user's side), once each, in file order."""
    rows: list[dict] = []
    seen: set[str] = set()
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(n for n in zf.namelist() if n.startswith(ENGLISH) and n.endswith(".yml")):
            doc = yaml.safe_load(zf.read(name).decode("utf-8")) or {}
            for conversation in doc.get("conversations") or []:
                if not conversation or not isinstance(conversation[0], str):
                    continue
                text = conversation[0].strip()
                if len(text) < 2 or text.casefold() in seen:
                    continue
                seen.add(text.casefold())
                rows.append(
                    {
                        "text": text,
                        "label": "benign",
                        "source": f"{CHATTERBOT['repository']}:{name}",
                        "license": CHATTERBOT["license"],
                        "split": "train",
                        "group": CHATTERBOT_GROUP,
                    }
                )
    return rows


def extra_rows(
    dataset_rows: list[dict], with_application_texts: bool = False, with_tool_content: bool = False
) -> tuple[list[dict], dict]:
    """Rows to add to the train split (none whose text the dataset already has) and their provenance."""
    known = {r["text"].strip().casefold() for r in dataset_rows}
    chat = [r for r in chatterbot_rows(fetch_wheel(CHATTERBOT)) if r["text"].casefold() not in known]
    hard = [r for r in hard_negative_rows() if r["text"].casefold() not in known]
    app = (
        [r for r in application_texts.application_text_rows() if r["text"].casefold() not in known]
        if with_application_texts
        else []
    )
    texts = "\n".join(r["text"] for r in hard).encode("utf-8")
    provenance = {
        CHATTERBOT_GROUP: {**CHATTERBOT, "rows": len(chat)},
        "bulwark_hard_negatives": {
            "file": "training/bulwark_train/hard_negatives.py",
            "sha256_of_texts": hashlib.sha256(texts).hexdigest(),
            "rows": len(hard),
        },
        **(application_texts.provenance(app) if app else {}),
    }
    docs = [r for r in readmes.readme_rows() if r["text"].casefold() not in known]
    provenance[readmes.GROUP] = readmes.provenance(docs)
    prompts = [r for r in user_prompts.train_rows() if r["text"].casefold() not in known]
    provenance[user_prompts.GROUP] = user_prompts.provenance(prompts)
    tools = (
        [r for r in tool_content.tool_content_rows() if r["text"].casefold() not in known] if with_tool_content else []
    )
    if tools:
        provenance.update(tool_content.provenance(tools))
    return chat + hard + app + docs + prompts + tools, provenance
