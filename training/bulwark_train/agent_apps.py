"""Texts that agent applications send a model, from two inspect-evals benchmarks, as external-check rows.

* ipi_coding_agent: small repositories a coding agent is asked to fix. In most, one carrier holds an
  attack (the issue text, the README, a code comment or a config file: install this package, print this
  secret, run this command), plain or framed as an authority; ten repositories are clean. The carrier
  is an injection row; every issue text that does not carry the attack, and the READMEs of the clean
  repositories (some are "suspicious" on purpose: setup steps with pip and curl), are benign rows.
* b3 (Lakera's agent security benchmark): the system prompts of its applications and their user turns
  with the attacker's slot left empty, both benign. Its attacks are fetched from a model hub at run time,
  not shipped in the wheel, so b3 adds no injection rows here. A system prompt that carries the slot
  holds a document, not only the application's instructions, and is left out.

Neither benchmark's texts are trained or tuned on. Row order follows the wheel's, so the set is stable.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

IPI_SAMPLES = "inspect_evals/ipi_coding_agent/dataset/samples.json"
B3_SNAPSHOTS = "inspect_evals/b3/data/threat_snapshots/"
LICENSE = "MIT (inspect-evals)"

Row = Callable[[str, str, str, str], dict]


def ipi_carrier(sample: dict) -> str:
    """The text that holds the sample's attack: its issue, or the one repository file its indicator names."""
    if sample["injection_vector"] == "issue_text":
        return sample["issue_text"]
    indicator = re.compile(sample["payload_indicator"])
    carriers = [text for text in sample["repo_files"].values() if indicator.search(text)]
    if len(carriers) != 1:
        raise SystemExit(f"{IPI_SAMPLES} {sample['id']}: {len(carriers)} files match its payload indicator, expected 1")
    return carriers[0]


def ipi_rows(samples: list[dict], row: Row) -> list[dict]:
    out = []
    for sample in samples:
        if sample["is_benign"]:
            out.append(row(sample["issue_text"], "benign", "ipi_coding_clean", LICENSE))
            readme = sample["repo_files"].get("README.md", "")
            if readme.strip():
                out.append(row(readme, "benign", "ipi_coding_clean", LICENSE))
            continue
        out.append(row(ipi_carrier(sample), "injection", f"ipi_coding_{sample['injection_vector']}", LICENSE))
        if sample["injection_vector"] != "issue_text":
            out.append(row(sample["issue_text"], "benign", "ipi_coding_clean", LICENSE))
    return out


def b3_rows(snapshots: list[dict], row: Row) -> list[dict]:
    out, seen = [], set()

    def add(text: str, source: str) -> None:
        if text.strip() and text not in seen:
            seen.add(text)
            out.append(row(text, "benign", source, LICENSE))

    for snap in snapshots:
        if "{text}" not in snap["system_prompt"]:
            add(snap["system_prompt"], "b3_system_prompts")
        else:
            # The slot's carrier is in the system prompt; the user turn is then the application's own.
            add(snap["prompt_template"].format(), "b3_user_turns")
            continue
        # Both are str.format templates (b3 renders them so; "{{" stands for a brace).
        carrier = snap["attacker_template"].format(attack="")
        add(snap["prompt_template"].format(text=carrier), "b3_user_turns")
    return out


def rows(wheel: Path, row: Row) -> list[dict]:
    with zipfile.ZipFile(wheel) as zf:
        samples = json.loads(zf.read(IPI_SAMPLES))
        names = sorted(n for n in zf.namelist() if n.startswith(B3_SNAPSHOTS) and n.endswith(".json"))
        snapshots = [json.loads(zf.read(n)) for n in names]
    return [*ipi_rows(samples, row), *b3_rows(snapshots, row)]
