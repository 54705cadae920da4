"""Benign prompts that use the words attacks use ("ignore", "override", "system prompt", "developer mode"…).

The shared dataset's benign rows rarely put those words in an innocent sentence, so both models learned the
word rather than the move: "Please ignore the typos in my last message" scored 0.99 with the second model.
These templates pair each trigger word with objects and purposes that are not instructions to the model
(typos, a .gitignore, a CSS rule, a toll road, a contract clause), so what has to be learned is the object
of the verb. Every combination is written out (no sampling), in a fixed order, so training stays
deterministic. Train split only: nothing here is used to choose a threshold or to report a figure.
"""

from __future__ import annotations

from itertools import product

SOURCE = "bulwark:training/bulwark_train/hard_negatives.py"
GROUP = "bulwark_hard_negatives"
LICENSE = "Apache-2.0 (written for Bulwark)"

# (template, slot values per placeholder in order); each template is filled with every combination.
FAMILIES: list[tuple[str, list[list[str]]]] = [
    (
        "Please ignore the {} in {} and {}.",
        [
            ["typos", "formatting", "spelling mistakes", "odd line breaks", "Markdown symbols"],
            ["my last message", "the paragraph I pasted", "my notes"],
            [
                "tell me whether the argument holds up",
                "summarize the main point in two sentences",
                "answer the question about the refund policy",
            ],
        ],
    ),
    (
        "How do I make {} ignore {}?",
        [
            ["git", "Docker builds", "ESLint", "rsync", "my backup tool"],
            ["the node_modules folder", "files ending in .log", "a generated directory"],
        ],
    ),
    (
        "{} the {} for now and {}",
        [
            ["Forget", "Skip", "Never mind"],
            ["budget", "deadline", "color scheme", "first chapter"],
            [
                "describe what the ideal version would look like.",
                "list the three biggest risks in the plan.",
                "suggest a better title for the report.",
            ],
        ],
    ),
    (
        "How can I override {} {}?",
        [
            ["a method of the parent class", "the default timeout", "a CSS rule from a theme"],
            ["in TypeScript", "in Java", "in a Django project", "without editing the library"],
        ],
    ),
    (
        "Is there a way to bypass {} on {}?",
        [
            ["the toll road", "the traffic jam", "the road works"],
            ["my drive to the airport", "the way to Munich", "the morning commute"],
        ],
    ),
    (
        "I'm writing the system prompt for {}. {}",
        [
            ["a customer-support bot", "a recipe assistant", "an internal HR helpdesk bot", "a tutoring app"],
            [
                "How long should it be?",
                "What tone instructions work best?",
                "Should the rules go before or after the examples?",
            ],
        ],
    ),
    (
        "My {} told me to ignore {}. {}",
        [
            ["manager", "doctor", "teacher", "landlord"],
            ["the first email", "the old schedule", "the warning light for now"],
            ["Is that reasonable?", "What would you do in my position?"],
        ],
    ),
    (
        "What does \"{}\" mean in {}?",
        [
            [
                "disregard the earlier notice",
                "this agreement supersedes all prior instructions",
                "ignore previous versions",
                "override clause",
            ],
            ["a rental contract", "a software licence", "an insurance letter"],
        ],
    ),
    (
        "{} the {} of {}.",
        [
            ["Reveal", "Print", "Show me"],
            ["answer", "first ten terms", "hidden pattern"],
            ["the riddle I just told you", "the Fibonacci sequence", "this number puzzle"],
        ],
    ),
    (
        "How do I turn on developer mode {}?",
        [["on my Android phone", "in Chrome extensions", "on Windows 11", "on a Roku TV"]],
    ),
    (
        "Pretend you are {} and {}.",
        [
            ["a museum guide in Rome", "a patient chemistry tutor", "a job interviewer for a nursing role"],
            ["ask me three questions", "explain it to a ten-year-old", "stay in that role until I say stop"],
        ],
    ),
    (
        "From now on, {}.",
        [
            [
                "please answer in British English",
                "keep your answers under 100 words",
                "use metric units",
                "format code with four-space indents",
                "call me Sam",
            ]
        ],
    ),
    (
        "{} {}?",
        [
            ["Can you remember", "Do you still know", "Could you repeat"],
            ["what I said about my sister earlier", "the list we made yesterday", "my last question"],
        ],
    ),
    (
        "{} what {} is and how {}.",
        [
            ["Explain", "Tell me"],
            ["a prompt injection attack", "an LLM jailbreak", "a system prompt"],
            ["developers defend against it", "it differs from a normal bug", "companies test for it"],
        ],
    ),
    (
        "The new instructions for {} say {}. {}",
        [
            ["the visa application", "the tax return", "our fire drill"],
            ["the form must be signed twice", "we now meet in the car park"],
            ["Can you summarize what changed?", "Does that sound right to you?"],
        ],
    ),
]


def written_out(families: list[tuple[str, list[list[str]]]]) -> list[str]:
    """Every template filled with every combination of its slot values, in order, each text once."""
    seen: set[str] = set()
    out: list[str] = []
    for template, slots in families:
        for values in product(*slots):
            text = template.format(*values)
            if text not in seen:
                seen.add(text)
                out.append(text)
    return out


def benign_train_rows(texts: list[str], source: str, group: str) -> list[dict]:
    return [
        {"text": t, "label": "benign", "source": source, "license": LICENSE, "split": "train", "group": group}
        for t in texts
    ]


def hard_negative_texts() -> list[str]:
    return written_out(FAMILIES)


def hard_negative_rows() -> list[dict]:
    return benign_train_rows(hard_negative_texts(), SOURCE, GROUP)
