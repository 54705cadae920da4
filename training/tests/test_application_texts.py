"""The written application texts (bulwark_train/application_texts.py): the train file is for training (opt-in),
the held-out file for the external check only, so the two must not share text."""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

from bulwark_train import application_texts as app
from bulwark_train import extra
from bulwark_train.user_prompts import word_spans


def spans(text: str) -> set[tuple[str, ...]]:
    # Stock rules recur in both files ("if the docs don't cover it, say so and ..."); a copied sentence is longer.
    return word_spans(text, 14)


class ApplicationTextsTest(unittest.TestCase):
    def test_train_rows_are_benign_train_rows_in_two_groups(self) -> None:
        rows = app.application_text_rows()
        self.assertEqual({r["label"] for r in rows}, {"benign"})
        self.assertEqual({r["split"] for r in rows}, {"train"})
        groups = {g: sum(r["group"] == g for r in rows) for g in app.GROUPS.values()}
        self.assertTrue(all(n >= 100 for n in groups.values()), groups)
        self.assertTrue(all(r["text"] == r["text"].strip() and r["text"] for r in rows))

    def test_held_out_file_shares_no_fourteen_word_span_and_no_domain_with_the_train_file(self) -> None:
        train = app.read_texts(app.TRAIN_FILE)
        held = app.read_texts(app.HELDOUT_FILE)
        seen = set().union(*(spans(r["text"]) for r in train))
        shared = [r["text"][:60] for r in held if spans(r["text"]) & seen]
        self.assertEqual(shared, [])
        self.assertEqual({r["domain"] for r in train} & {r["domain"] for r in held}, set())
        self.assertEqual({r["kind"] for r in held}, set(app.GROUPS))

    def test_provenance_counts_rows_per_group(self) -> None:
        rows = app.application_text_rows()
        prov = app.provenance(rows)
        self.assertEqual(sum(p["rows"] for p in prov.values()), len(rows))
        self.assertEqual(len({p["sha256"] for p in prov.values()}), 1)

    def test_an_unknown_kind_or_a_repeated_text_is_refused_with_its_line(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "texts.jsonl")
            path.write_text(json.dumps({"text": "Hi", "kind": "user", "domain": "x"}) + "\n", encoding="utf-8")
            with self.assertRaisesRegex(ValueError, r"texts.jsonl:1: kind must be one of"):
                app.read_texts(path)
            row = json.dumps({"text": "Sure.", "kind": "reply", "domain": "x"})
            path.write_text(row + "\n" + row.replace("Sure.", " sure. ") + "\n", encoding="utf-8")
            with self.assertRaisesRegex(ValueError, r"texts.jsonl:2: text repeated"):
                app.read_texts(path)


if __name__ == "__main__":
    unittest.main()


class ExtraRowsTest(unittest.TestCase):
    """extra.py adds the train file only when asked (the shipped models do not learn from it)."""

    def test_application_texts_join_the_extra_rows_only_when_asked(self) -> None:
        dataset = [{"text": "What time is it?", "label": "benign"}]
        default, provenance = extra.extra_rows(dataset)
        self.assertFalse({r["group"] for r in default} & set(app.GROUPS.values()))
        self.assertFalse(set(provenance) & set(app.GROUPS.values()))
        asked, provenance = extra.extra_rows(dataset, with_application_texts=True)
        added = [r for r in asked if r["group"] in app.GROUPS.values()]
        self.assertEqual(len(added), len(app.application_text_rows()))
        self.assertEqual(set(provenance) & set(app.GROUPS.values()), set(app.GROUPS.values()))
        self.assertEqual(len(asked) - len(default), len(added))
