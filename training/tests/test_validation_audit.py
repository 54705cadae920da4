"""training/data/validation-audit.jsonl: every audited row is a validation row of the shared dataset, with the
label the dataset gives it, and the figures training/data/README.md quotes are the file's."""

from __future__ import annotations

import hashlib
import json
import re
import unittest
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "training" / "data" / "validation-audit.jsonl"
DATASET = ROOT.parent / "shared" / "datasets" / "all.jsonl"


@pytest.mark.skipif(not DATASET.exists(), reason="the shared dataset is not beside the repository")
class ValidationAudit(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.rows = [json.loads(line) for line in AUDIT.read_text(encoding="utf-8").split("\n") if line.strip()]
        cls.validation = {}
        # split("\n"), not splitlines(): texts hold U+2028 and other line breaks JSON leaves unescaped.
        for line in DATASET.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                r = json.loads(line)
                if r.get("split") == "validation":
                    cls.validation[hashlib.sha256(r["text"].encode("utf-8")).hexdigest()] = r

    def test_each_row_is_a_validation_row_with_its_label(self) -> None:
        verdicts = {"attack", "benign", "unclear"}
        for r in self.rows:
            found = self.validation.get(r["sha256"])
            self.assertIsNotNone(found, r["sha256"])
            self.assertEqual((found["label"], found["source"]), (r["label"], r["source"]))
            self.assertEqual(r["outcome"], "false positive" if r["label"] == "benign" else "missed")
            self.assertLessEqual({r["judge_a"], r["judge_b"]}, verdicts)
        self.assertEqual(len({r["sha256"] for r in self.rows}), len(self.rows))

    def test_the_readme_table_is_the_files(self) -> None:
        def both(r: dict) -> str:
            return r["judge_a"] if r["judge_a"] == r["judge_b"] and r["judge_a"] != "unclear" else "other"

        counts = Counter((r["outcome"], both(r)) for r in self.rows)
        readme = (ROOT / "training" / "data" / "README.md").read_text(encoding="utf-8")
        missed = sum(v for (o, _), v in counts.items() if o == "missed")
        row = re.search(r"\| missed attack \((\d+)\) \| (\d+) \| (\d+) .*\| (\d+) \|", readme)
        self.assertIsNotNone(row)
        self.assertEqual(
            tuple(int(x) for x in row.groups()),
            (missed, counts[("missed", "attack")], counts[("missed", "benign")], counts[("missed", "other")]),
        )


if __name__ == "__main__":
    unittest.main()
