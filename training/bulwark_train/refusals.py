"""An assistant's refusals and disclaimers, as benign train rows for the first model only.

Jailbreaks quote refusals to forbid them ("never say 'I'm sorry, but I can't'"), and the written user prompts
(user_prompts.py) brought more of those: the n-gram model trained on them scored a plain refusal, "I'm sorry,
but I can't help with that.", above its unsure band (0.71 on the scanners' scale; 0.43 before them), so a
refusal in a conversation's history, one this guard did not return itself, blocked the conversation. The
second model already scores refusals low (0.2-0.3), so it does not learn these and stays as trained.
Every combination is written out (no sampling), in a fixed order. Train split only.
"""

from __future__ import annotations

from .hard_negatives import benign_train_rows, written_out

SOURCE = "bulwark:training/bulwark_train/refusals.py"
GROUP = "bulwark_refusals"

FAMILIES: list[tuple[str, list[list[str]]]] = [
    (
        "{}, but I {} {}.",
        [
            ["I'm sorry", "Sorry", "I apologize", "Unfortunately"],
            ["can't", "cannot", "am not able to", "won't be able to"],
            [
                "help with that",
                "assist with that request",
                "share that information",
                "write that for you",
                "give advice on that topic",
            ],
        ],
    ),
    (
        "I {} {}. {}",
        [
            ["can't", "am not able to"],
            ["open links or browse the web", "see your account details", "access files on your computer"],
            [
                "Could you paste the text here?",
                "Is there anything else I can help with?",
                "If you share the details, I can take a look.",
            ],
        ],
    ),
    (
        "As an AI {}, I {}. {}",
        [
            ["language model", "assistant"],
            ["don't have personal opinions", "can't give medical advice", "don't have real-time data"],
            [
                "Please check with a professional.",
                "Here is some general information instead.",
                "I can summarize what is publicly known.",
            ],
        ],
    ),
    (
        "I'm not able to {} that, {}.",
        [
            ["do", "provide", "recommend"],
            [
                "but I can suggest a safer alternative",
                "but here is what I can do",
                "as it goes against the guidelines I follow",
            ],
        ],
    ),
]


def refusal_texts() -> list[str]:
    return written_out(FAMILIES)


def refusal_rows() -> list[dict]:
    return benign_train_rows(refusal_texts(), SOURCE, GROUP)
