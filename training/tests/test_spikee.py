"""The second stage's injection rows from spikee's seeds (bulwark_train/spikee.py), on the pinned wheel.

Needs only the standard library and pip (the wheel is downloaded once into the cache with its sha256 checked),
so it runs with the machine's Python, without the training venv.
"""

from __future__ import annotations

import re
import unittest
from collections import Counter

from bulwark_train import spikee

SENTENCES = [
    "The museum opens at nine and closes at five on weekdays.",
    "Tickets for children under twelve are free of charge.",
    "Guided tours leave the main hall every hour on the hour.",
    "The cafe on the second floor serves lunch until three.",
    "Photography without flash is allowed in most galleries.",
    "Large bags must be left at the cloakroom near the entrance.",
]


def document(k: int) -> str:
    """A benign carrier of 300-3,000 characters whose sentences say which document it is."""
    return " ".join(f"Document {k}: {s}" for s in SENTENCES)


def dataset() -> list[dict]:
    carriers = [{"text": document(k), "label": "benign", "split": "train"} for k in range(5)]
    not_carriers = [
        {"text": "Short benign train row.", "label": "benign", "split": "train"},
        {"text": document(100), "label": "benign", "split": "validation"},
        {"text": document(101), "label": "injection", "split": "train"},
        {"text": document(102) * 20, "label": "benign", "split": "train"},
    ]
    return carriers + not_carriers


class SpikeeRows(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.wheel = spikee.fetch()
        cls.framings, cls.payloads = spikee.seeds(cls.wheel)
        cls.rows = spikee.spikee_rows(cls.wheel, dataset())

    def test_seeds_are_the_english_framings_with_a_slot_and_their_payloads(self) -> None:
        self.assertEqual((len(self.framings), len(self.payloads)), (41, 17))
        self.assertTrue(all("<INSTRUCTION>" in f for f in self.framings))
        self.assertEqual(len(set(self.framings)), len(self.framings))
        self.assertEqual(len(set(self.payloads)), len(self.payloads))

    def test_every_framing_carries_its_payloads_in_turn_alone_appended_or_inserted(self) -> None:
        self.assertEqual(len(self.rows), spikee.PAYLOADS_PER_FRAMING * len(self.framings))
        carriers = {document(k) for k in range(5)}
        for n, row in enumerate(self.rows):
            self.assertEqual(
                {k: row[k] for k in ("label", "split", "group")},
                {"label": "injection", "split": "train", "group": spikee.GROUP},
            )
            f, k = divmod(n, spikee.PAYLOADS_PER_FRAMING)
            payload = self.payloads[(f * spikee.PAYLOADS_PER_FRAMING + k) % len(self.payloads)]
            attack = self.framings[f].replace("<INSTRUCTION>", payload)
            text = row["text"]
            if n % 3 == 0:
                self.assertEqual(text, attack)
            elif n % 3 == 1:
                self.assertTrue(text.endswith(f"\n\n{attack}"), text)
                self.assertIn(text[: -len(attack) - 2], carriers)
            else:
                before, after = text.split(f"\n\n{attack}\n\n")
                self.assertIn(f"{before} {after}", carriers)
                # Written in at a sentence boundary, half of the sentences before it.
                self.assertEqual(len(re.findall(r"[.!?]$|[.!?] ", before)), len(SENTENCES) // 2)

    def test_uses_every_payload_and_only_long_benign_train_rows_as_documents(self) -> None:
        used = Counter(p for row in self.rows for p in self.payloads if p in row["text"])
        self.assertEqual(set(used), set(self.payloads))
        for row in self.rows:
            for k in (100, 101, 102):
                self.assertNotIn(f"Document {k}:", row["text"])
            self.assertNotIn("Short benign train row.", row["text"])
        documents = {m for row in self.rows for m in re.findall(r"Document (\d+):", row["text"])}
        self.assertGreater(len(documents), 1)

    def test_the_same_rows_on_every_run(self) -> None:
        self.assertEqual(spikee.spikee_rows(self.wheel, dataset()), self.rows)

    def test_refuses_to_build_without_documents(self) -> None:
        with self.assertRaises(SystemExit):
            spikee.spikee_rows(self.wheel, [r for r in dataset() if r["split"] != "train"])


if __name__ == "__main__":
    unittest.main()
