"""Train rows with typing errors: a share of the rows, each with some of its words' middle letters shuffled.

People type fast and write in second languages; the benign sources of the dataset are edited text, while the
obfuscated jailbreaks misspell on purpose. Trained on that, the second model reads a misspelled word as a sign
of attack: with 5% of the words of the validation rows scrambled the default policy blocked 13 instead of 10
of the 620 benign rows (bench/robustness/METHOD.md). Rewriting rows of both labels in place is meant to teach
it that a misspelling says nothing about the label, without adding training steps. Seeded: the same rows and
letters on every run. Behind the encoder trainer's `--typing-errors` flag: measured, not shipped. The
second model trained so blocked as many benign rows with typing errors as before and three more without
(bench/robustness/METHOD.md); the first model retrained so bought back little.
"""

from __future__ import annotations

import random
import re

SHARE = 0.25
RATE = 0.10
SEED = 20261207
# Words of four letters or more, as bench/robustness scrambles them: letters only, digits and '_' excluded.
WORD = re.compile(r"[^\W\d_]{4,}")


def with_typing_errors(
    rows: list[dict], share: float = SHARE, rate: float = RATE, seed: int = SEED
) -> list[dict]:
    """The rows, a `share` of them (either label) rewritten with a `rate` of their words' middles shuffled
    (the first and last letter kept). Rows are new dicts; the input is not changed."""
    rng = random.Random(seed)

    def scramble(match: re.Match) -> str:
        word = match.group(0)
        if rng.random() >= rate:
            return word
        middle = list(word[1:-1])
        rng.shuffle(middle)
        return word[0] + "".join(middle) + word[-1]

    return [{**r, "text": WORD.sub(scramble, r["text"])} if rng.random() < share else dict(r) for r in rows]
