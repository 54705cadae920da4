"""The first model's refusal rows (bulwark_train/refusals.py): benign train rows, none copying a held-out reply."""

from __future__ import annotations

import unittest

from bulwark_train import application_texts, refusals
from bulwark_train.user_prompts import word_spans


def spans(text: str) -> set[tuple[str, ...]]:
    return word_spans(text, 8)


class RefusalsTest(unittest.TestCase):
    def test_rows_are_unique_benign_train_rows_of_one_group(self) -> None:
        rows = refusals.refusal_rows()
        self.assertEqual(len(rows), len({r["text"] for r in rows}))
        self.assertEqual({(r["label"], r["split"], r["group"]) for r in rows}, {("benign", "train", refusals.GROUP)})
        self.assertGreaterEqual(len(rows), 100)

    def test_no_row_shares_an_eight_word_span_with_a_held_out_reply(self) -> None:
        held = application_texts.read_texts(application_texts.HELDOUT_FILE)
        seen = set().union(*(spans(r["text"]) for r in held if r["kind"] == "reply"))
        self.assertEqual([r["text"] for r in refusals.refusal_rows() if spans(r["text"]) & seen], [])


if __name__ == "__main__":
    unittest.main()
