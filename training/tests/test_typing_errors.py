from bulwark_train.typing_errors import WORD, with_typing_errors

ROWS = [
    {"text": f"Please summarise the quarterly report number {i} for the finance committee tomorrow.",
     "label": "benign" if i % 2 else "injection", "split": "train"}
    for i in range(400)
]


def test_same_rows_and_letters_on_every_run():
    assert with_typing_errors(ROWS) == with_typing_errors(ROWS)
    assert with_typing_errors(ROWS, seed=1) != with_typing_errors(ROWS)


def test_rewrites_a_share_of_rows_of_both_labels_and_keeps_the_rest():
    out = with_typing_errors(ROWS, share=0.25, rate=0.5)
    changed = [o for o, r in zip(out, ROWS) if o["text"] != r["text"]]
    assert 60 <= len(changed) <= 140
    assert {o["label"] for o in changed} == {"benign", "injection"}
    assert all(o["label"] == r["label"] and o["split"] == r["split"] for o, r in zip(out, ROWS))
    assert ROWS[0]["text"].startswith("Please summarise")  # the input rows are not changed


def test_only_the_middle_letters_of_words_move():
    for o, r in zip(with_typing_errors(ROWS, share=1.0, rate=1.0), ROWS):
        before, after = WORD.findall(r["text"]), WORD.findall(o["text"])
        assert len(before) == len(after)
        for a, b in zip(before, after):
            assert (a[0], a[-1], sorted(a)) == (b[0], b[-1], sorted(b))
        assert WORD.sub("", o["text"]) == WORD.sub("", r["text"])
