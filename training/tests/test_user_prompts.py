"""The written user prompts (bulwark_train/user_prompts.py): one file read while writing rules, one held out for the
external check, one to train on. A sentence shared between them would carry what one was tuned or trained on into
the one that measures."""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

from bulwark_train import external, extra
from bulwark_train import user_prompts as up
from bulwark_train.user_prompts import word_spans


def spans(text: str) -> set[tuple[str, ...]]:
    return word_spans(text, 10)


def all_spans(rows: list[dict]) -> set[tuple[str, ...]]:
    return set().union(*(spans(r["text"]) for r in rows))


class UserPromptsTest(unittest.TestCase):
    def test_each_file_holds_both_benign_prompts_and_attacks_of_both_labels(self) -> None:
        for path in (up.DEV_FILE, up.HELDOUT_FILE):
            rows = up.read_prompts(path)
            counts = {label: sum(r["label"] == label for r in rows) for label in up.LABELS}
            self.assertTrue(all(n >= 30 for n in counts.values()), (path.name, counts))

    def test_no_file_shares_a_ten_word_span_with_another(self) -> None:
        files = {p.name: up.read_prompts(p) for p in (up.DEV_FILE, up.HELDOUT_FILE, up.TRAIN_FILE)}
        for name, rows in files.items():
            others = all_spans([r for other, rs in files.items() if other != name for r in rs])
            self.assertEqual([r["family"] for r in rows if spans(r["text"]) & others], [], name)

    def test_train_rows_are_train_rows_of_both_labels_in_one_group_with_their_provenance(self) -> None:
        rows = up.train_rows()
        self.assertEqual({r["split"] for r in rows}, {"train"})
        self.assertEqual({r["group"] for r in rows}, {up.GROUP})
        prov = up.provenance(rows)
        self.assertEqual(prov["rows"], len(rows))
        self.assertEqual(prov["benign"], sum(r["label"] == "benign" for r in rows))
        self.assertTrue(prov["benign"] >= 200 and prov["malicious"] >= 200, prov)

    def test_both_models_learn_from_the_train_file_not_from_the_measuring_ones(self) -> None:
        dataset = [{"text": "What time is it?", "label": "benign"}]
        rows, provenance = extra.extra_rows(dataset)
        texts = {r["text"] for r in rows}
        self.assertEqual(sum(r["group"] == up.GROUP for r in rows), len(up.train_rows()))
        self.assertEqual(provenance[up.GROUP]["rows"], len(up.train_rows()))
        for path in (up.DEV_FILE, up.HELDOUT_FILE):
            self.assertFalse(texts & {r["text"].strip() for r in up.read_prompts(path)}, path.name)

    def test_the_held_out_file_is_in_the_external_check_by_family(self) -> None:
        rows = up.heldout_rows(external.row)
        self.assertEqual(len(rows), len(up.read_prompts(up.HELDOUT_FILE)))
        self.assertTrue(all(r["source"].startswith("bulwark_heldout_user_prompts:") for r in rows))
        self.assertEqual({r["split"] for r in rows}, {"external"})
        self.assertEqual({r["label"] for r in rows}, set(up.LABELS))

    def test_a_bad_label_family_or_a_repeated_text_is_refused_with_its_line(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "prompts.jsonl")
            cases = [
                ([{"label": "attack", "family": "x", "text": "Hi"}], r"prompts.jsonl:1: label must be one of"),
                ([{"label": "benign", "family": "Fake Delimiter", "text": "Hi"}], r"prompts.jsonl:1: family must"),
                ([{"label": "benign", "family": "x", "text": "  "}], r"prompts.jsonl:1: empty text"),
                (
                    [{"label": "benign", "family": "x", "text": "Hi"}, {"label": "injection", "family": "y", "text": " hi "}],
                    r"prompts.jsonl:2: text repeated",
                ),
            ]
            for rows, message in cases:
                path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
                with self.assertRaisesRegex(ValueError, message):
                    up.read_prompts(path)


if __name__ == "__main__":
    unittest.main()
