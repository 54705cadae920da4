"""Tokenizer training and the n-gram chunk features.

`chunk_features` is the reference implementation of what `onnx_graph.build_graph` computes. Training, threshold
selection and the ONNX check all go through it, so a change here must be mirrored in the graph (the pipeline
compares the two on every validation row and fails if they disagree).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
PAD_ID = 0


@dataclass(frozen=True)
class FeatureSpec:
    """How token ids become hashed uni+bigram features, grouped in overlapping chunks."""

    vocab_size: int  # V: unigram feature f = token id, in [0, V)
    bigram_buckets: int  # B: bigram feature f = V + (a * P + b) mod B
    bigram_prime: int  # P
    block: int  # chunks start every `block` tokens...
    chunk: int  # ...and span `chunk` = 2 * block tokens

    @property
    def num_features(self) -> int:
        return self.vocab_size + self.bigram_buckets


def _pipeline(tok: Tokenizer) -> Tokenizer:
    # BERT-style normalisation (NFD + strip accents + lowercase, control chars removed, CJK split) and
    # pre-tokenisation are supported as-is by the pure-JS @huggingface/tokenizers port used at run time.
    # The one divergence found on the dataset: JS toLowerCase() turns a word-final capital sigma into "ς",
    # Rust into "σ"; mapping it first makes both agree.
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace("Σ", "σ"),
            normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=True, lowercase=True),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    return tok


def train_tokenizer(texts: list[str], vocab_size: int) -> Tokenizer:
    """Learn a WordPiece vocabulary on `texts`, with ids in a canonical order.

    The Rust trainer picks the same token set on every run but numbers the alphabet in hash-map order, which
    would make tokenizer.json (and the model's weight layout) differ between runs. WordPiece matching only
    uses the vocabulary as a set, so renumbering (specials first, then sorted) changes no tokenisation.
    """
    draft = _pipeline(Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100)))
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIAL_TOKENS, show_progress=False
    )
    draft.train_from_iterator(texts, trainer)
    learned = set(draft.get_vocab()) - set(SPECIAL_TOKENS)
    ordered = SPECIAL_TOKENS + sorted(learned)
    vocab = {t: i for i, t in enumerate(ordered)}
    return _pipeline(
        Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    )


def encode_all(tok: Tokenizer, texts: list[str]) -> list[np.ndarray]:
    encs = tok.encode_batch(texts, add_special_tokens=False)
    return [np.asarray(e.ids, dtype=np.int64) for e in encs]


def chunk_features(ids: np.ndarray, spec: FeatureSpec) -> list[np.ndarray]:
    """Sorted unique feature ids of each chunk of one token sequence.

    Chunk j covers tokens [j*block, j*block + chunk) and the bigrams that start there and end inside the chunk.
    There are max(ceil(n / block) - 1, 1) chunks, so every token is in some chunk and no chunk is a pure
    tail of another. An empty sequence has one empty chunk. Because chunk starts are multiples of `block`,
    scoring a long text in windows whose starts are also multiples of `block` (and that overlap by a block)
    yields exactly these chunks, so the max over windows equals the max over this list.
    """
    n = len(ids)
    bg = (ids[:-1] * spec.bigram_prime + ids[1:]) % spec.bigram_buckets + spec.vocab_size
    nblocks = max(-(-n // spec.block), 2)
    out = []
    for j in range(nblocks - 1):
        s = j * spec.block
        uni = ids[s : s + spec.chunk]
        bi = bg[s : min(s + spec.chunk - 1, n - 1)] if n > 1 else bg[:0]
        out.append(np.unique(np.concatenate([uni, bi])))
    return out


def chunk_matrix(
    feats: list[list[np.ndarray]], spec: FeatureSpec
) -> tuple["scipy.sparse.csr_matrix", np.ndarray]:  # noqa: F821
    """Rows = chunks, value 1/sqrt(#unique features in the chunk); also the owning text of each row."""
    import scipy.sparse as sp

    data: list[np.ndarray] = []
    ind: list[np.ndarray] = []
    ptr = [0]
    owner: list[int] = []
    for t, chunks in enumerate(feats):
        for f in chunks:
            ind.append(f)
            data.append(np.full(len(f), 1.0 / np.sqrt(max(len(f), 1))))
            ptr.append(ptr[-1] + len(f))
            owner.append(t)
    x = sp.csr_matrix(
        (np.concatenate(data), np.concatenate(ind), np.asarray(ptr)),
        shape=(len(owner), spec.num_features),
    )
    return x, np.asarray(owner)


def max_per_owner(scores: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, -np.inf)
    np.maximum.at(out, owner, scores)
    return out
