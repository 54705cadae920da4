"""AgentDojo's tool data (from inspect-evals, MIT) as rows of the external check: indirect injections.

AgentDojo attacks an agent through the data its tools return: emails, calendar events, files, hotel
reviews, Slack messages and bank transactions, each with placeholders where an attacker could write.
Each such record becomes one benign row with every placeholder at its default value, and one injection
row per placeholder with that placeholder replaced by AgentDojo's "important instructions" attack
carrying one of the suite's injection goals (round robin, so the file is the same on every run). Records
without a placeholder are benign rows as they are. A row's text is the record as a tool would return it:
YAML for structured records, the text itself for files and messages.

Nothing here runs the package's code: the YAML is parsed with yaml.safe_load and the attack template and
goals are read from its Python sources with `ast` (string constants and f-strings over them only).
"""

from __future__ import annotations

import ast
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml

ROOT = "inspect_evals/agentdojo/"
SUITES = ("banking", "slack", "travel", "workspace")
USER_NAME = "Emma Johnson"
LICENSE = "MIT (inspect-evals, AgentDojo)"
PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
# Long enough to be a document rather than a field such as a name or a date.
MIN_TEXT = 40


def _const_str(node: ast.AST, scopes: list[dict[str, str]]) -> str | None:
    """The value of a string expression built from literals and names bound to literals, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return next((s[node.id] for s in scopes if node.id in s), None)
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            part = _const_str(v.value if isinstance(v, ast.FormattedValue) else v, scopes)
            if part is None:
                return None
            parts.append(part)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _const_str(node.left, scopes), _const_str(node.right, scopes)
        return None if left is None or right is None else left + right
    return None


def _assignments(body: list[ast.stmt], scopes: list[dict[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for stmt in body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = _const_str(stmt.value, [found, *scopes])
            for t in targets:
                if isinstance(t, ast.Name) and value is not None:
                    found[t.id] = value
    return found


def goals(source: str) -> list[str]:
    """Each injection task's GOAL, in file order; a goal that is not a plain string expression is skipped."""
    tree = ast.parse(source)
    module = _assignments(tree.body, [])
    found = []
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        goal = _assignments(cls.body, [module]).get("GOAL")
        if goal:
            found.append(" ".join(goal.split()))
    return found


def attack_template(source: str) -> str:
    """AgentDojo's important-instructions attack with the user's name filled in and {goal} left open."""
    prompt = _assignments(ast.parse(source).body, []).get("IMPORTANT_INSTRUCTIONS_PROMPT")
    if prompt is None:
        raise SystemExit("agentdojo: IMPORTANT_INSTRUCTIONS_PROMPT not found in attacks/attack.py")
    return prompt.replace("{user_name}", USER_NAME).replace("{{goal}}", "{goal}")


def records(node: object) -> Iterator[object]:
    """Top-most dicts in lists (emails, events, transactions, hotels) and free-standing texts (files)."""
    if isinstance(node, dict):
        for value in node.values():
            if isinstance(value, str):
                if len(value) >= MIN_TEXT or PLACEHOLDER.search(value):
                    yield value
            else:
                yield from records(value)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict):
                yield item
            elif isinstance(item, str):
                if PLACEHOLDER.search(item):
                    yield item
            else:
                yield from records(item)


def _filled(node: object, defaults: dict[str, str], attacked: dict[str, str]) -> object:
    """The record with each known placeholder replaced: by the attack where given, else by its default."""
    if isinstance(node, str):
        return PLACEHOLDER.sub(lambda m: attacked.get(m.group(1), defaults.get(m.group(1), m.group(0))), node)
    if isinstance(node, dict):
        return {k: _filled(v, defaults, attacked) for k, v in node.items()}
    if isinstance(node, list):
        return [_filled(v, defaults, attacked) for v in node]
    return node


class _ToolOutput(yaml.SafeDumper):
    """YAML as a tool would print it: texts with line breaks as literal blocks, not quoted and re-wrapped."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ToolOutput.add_representer(str, _text)


def _render(record: object) -> str:
    if isinstance(record, str):
        return record
    return yaml.dump(record, Dumper=_ToolOutput, sort_keys=False, allow_unicode=True, width=1000)


def _environment_files(zf: zipfile.ZipFile, suite: str) -> list[str]:
    """The suite's environment.yaml, or the files it !includes (plain YAML) when it does."""
    base = f"{ROOT}data/suites/{suite}/"
    text = zf.read(base + "environment.yaml").decode("utf-8")
    includes = re.findall(r"!include\s+(\S+)", text)
    return [zf.read(base + inc).decode("utf-8") for inc in includes] if includes else [text]


def rows(wheel: Path, make_row: Callable[[str, str, str, str], dict]) -> list[dict]:
    """Benign and injected tool records of every suite; make_row(text, label, source, license)."""
    out: list[dict] = []
    seen: set[str] = set()

    def add(text: str, label: str, source: str) -> None:
        text = text.strip()
        if label == "benign" and len(text) < MIN_TEXT:
            return  # a channel name or a one-word field, not a document
        if text not in seen:
            seen.add(text)
            out.append(make_row(text, label, source, LICENSE))

    with zipfile.ZipFile(wheel) as zf:
        template = attack_template(zf.read(ROOT + "attacks/attack.py").decode("utf-8"))
        for suite in SUITES:
            vectors = yaml.safe_load(zf.read(f"{ROOT}data/suites/{suite}/injection_vectors.yaml"))
            defaults = {name: str((v or {}).get("default") or "") for name, v in vectors.items()}
            suite_goals = goals(zf.read(f"{ROOT}task_suites/{suite}/injection_tasks.py").decode("utf-8"))
            if not suite_goals:
                raise SystemExit(f"agentdojo: no injection goals found for {suite}")
            used = 0
            for text in _environment_files(zf, suite):
                for record in records(yaml.safe_load(text)):
                    names = [n for n in dict.fromkeys(PLACEHOLDER.findall(_render(record))) if n in defaults]
                    add(_render(_filled(record, defaults, {})), "benign", f"agentdojo_{suite}_data")
                    for name in names:
                        attack = template.replace("{goal}", suite_goals[used % len(suite_goals)])
                        used += 1
                        add(_render(_filled(record, defaults, {name: attack})), "injection",
                            f"agentdojo_{suite}_injected")
    return out
