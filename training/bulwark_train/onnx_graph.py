"""The chunked n-gram classifier as an ONNX graph (the same interface as a Hugging Face sequence classifier).

inputs:  input_ids int64 [batch, seq], attention_mask int64 [batch, seq] (right-padded)
outputs: logits float32 [batch, 2] = [-z/2, z/2], so softmax(logits)[1] = sigmoid(z)

z is the max over chunks of   bias + sum(w[f] for unique f in chunk) / sqrt(#unique f in chunk),
with chunks and features exactly as in `features.chunk_features`. Operator reference:
https://onnx.ai/onnx/operators/
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .features import FeatureSpec

OPSET = 17
EMPTY_CHUNK_LOGIT = -1.0e4


def build_graph(spec: FeatureSpec, weights: np.ndarray, bias: float, doc: str) -> onnx.ModelProto:
    assert weights.shape == (spec.num_features,)
    blk = spec.block
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(value, name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: object) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    i64 = lambda *v: np.asarray(v, dtype=np.int64)  # noqa: E731
    c_w = const("ngram_weight", weights.astype(np.float32))
    c_bias = const("bias", np.asarray(bias, dtype=np.float32))
    c_blk = const("block", i64(blk))
    c_two = const("two_blocks", i64(2))
    c_one = const("one", i64(1))
    c_zero = const("zero_i64", i64(0))
    c_pad_value = const("pad_value", np.asarray(0, dtype=np.int64))
    c_prime = const("prime", i64(spec.bigram_prime))
    c_buckets = const("buckets", i64(spec.bigram_buckets))
    c_vocab = const("vocab", i64(spec.vocab_size))
    c_onef = const("one_f", np.asarray(1.0, dtype=np.float32))
    c_half = const("half_f", np.asarray(0.5, dtype=np.float32))
    c_empty = const("empty_logit", np.asarray(EMPTY_CHUNK_LOGIT, dtype=np.float32))

    # Pad seq up to nblocks * block tokens, nblocks = max(ceil(seq / block), 2).
    shape = node("Shape", ["input_ids"], "ids_shape")
    batch = node("Gather", [shape, const("idx0", i64(0))], "batch", axis=0)
    seq = node("Gather", [shape, const("idx1", i64(1))], "seq", axis=0)
    nb_ceil = node("Div", [node("Add", [seq, const("block_m1", i64(blk - 1))], "seq_up"), c_blk], "nb_ceil")
    nblocks = node("Max", [nb_ceil, c_two], "nblocks")
    padded = node("Mul", [nblocks, c_blk], "padded_len")
    pad_amt = node("Sub", [padded, seq], "pad_amount")
    pads = node("Concat", [c_zero, c_zero, c_zero, pad_amt], "pads", axis=0)
    ids = node("Pad", ["input_ids", pads, c_pad_value], "ids_p")
    mask = node("Pad", [node("Cast", ["attention_mask"], "mask_i", to=TensorProto.INT64), pads, c_pad_value], "mask_p")

    # Bigram feature at t pairs tokens t and t+1; valid when both are real tokens.
    pad_end = node("Concat", [c_zero, c_zero, c_zero, c_one], "pads_end", axis=0)
    big = const("big", i64(1 << 62))
    ids_next = node("Pad", [node("Slice", [ids, c_one, big, c_one], "ids_tail"), pad_end, c_pad_value], "ids_next")
    mask_next = node("Pad", [node("Slice", [mask, c_one, big, c_one], "mask_tail"), pad_end, c_pad_value], "mask_next")
    pair = node("Add", [node("Mul", [ids, c_prime], "ids_x_p"), ids_next], "pair")
    bg = node("Add", [node("Mod", [pair, c_buckets], "pair_mod"), c_vocab], "bigram_ids")
    bg_mask = node("Mul", [mask, mask_next], "bigram_mask")

    # [batch, nblocks, block] views; chunk j = blocks j and j+1 (its last bigram would cross the chunk end).
    blocks_shape = node("Concat", [batch, nblocks, c_blk], "blocks_shape", axis=0)

    def chunks(x: str, name: str, drop_last: bool) -> str:
        b = node("Reshape", [x, blocks_shape], f"{name}_blocks")
        first = node("Slice", [b, c_zero, const(f"{name}_m1", i64(-1)), c_one], f"{name}_lo")
        second = node("Slice", [b, c_one, big, c_one], f"{name}_hi")
        if drop_last:
            second = node(
                "Slice",
                [second, c_zero, const(f"{name}_blk_m1", i64(blk - 1)), const(f"{name}_ax2", i64(2))],
                f"{name}_hi_cut",
            )
        return node("Concat", [first, second], f"{name}_chunks", axis=2)

    feats = node(
        "Concat", [chunks(ids, "uni", False), chunks(bg, "bi", True)], "chunk_feats", axis=2
    )  # [batch, nchunks, 2*block + 2*block - 1]
    fmask = node(
        "Cast",
        [node("Concat", [chunks(mask, "unim", False), chunks(bg_mask, "bim", True)], "chunk_mask_i", axis=2)],
        "chunk_mask",
        to=TensorProto.FLOAT,
    )

    # Keep the first occurrence of each feature in a chunk: f at position p is a repeat when an earlier
    # (strictly lower triangle) valid position holds the same id.
    eq = node(
        "Equal",
        [
            node("Unsqueeze", [feats, const("ax_m1", i64(-1))], "feats_col"),
            node("Unsqueeze", [feats, const("ax_m2", i64(-2))], "feats_row"),
        ],
        "feat_eq",
    )
    eqf = node(
        "Mul",
        [node("Cast", [eq], "feat_eq_f", to=TensorProto.FLOAT), node("Unsqueeze", [fmask, "ax_m2"], "mask_row")],
        "feat_eq_valid",
    )
    earlier = node("Trilu", [eqf, const("k_m1", np.asarray(-1, dtype=np.int64))], "feat_eq_earlier", upper=0)
    dup = node("ReduceMax", [earlier], "feat_dup", axes=[-1], keepdims=0)
    first = node("Mul", [fmask, node("Sub", [c_onef, dup], "not_dup")], "feat_first")

    w = node("Gather", [c_w, feats], "feat_w", axis=0)
    s = node("ReduceSum", [node("Mul", [w, first], "feat_wm"), "ax_m1"], "chunk_sum", keepdims=0)
    n = node("ReduceSum", [first, "ax_m1"], "chunk_n", keepdims=0)
    z = node(
        "Add",
        [node("Div", [s, node("Sqrt", [node("Max", [n, c_onef], "chunk_n1")], "chunk_norm")], "chunk_avg"), c_bias],
        "chunk_z",
    )

    # A chunk counts when it is the first one or its second block starts with a real token (see
    # features.chunk_features); padding-only chunks of shorter rows in a batch never win the max.
    mblocks = node("Reshape", [mask, blocks_shape], "mask_blocks")
    starts = node(
        "Slice",
        [mblocks, c_zero, c_one, const("ax2", i64(2))],
        "block_starts",
    )  # [batch, nblocks, 1]
    starts = node("Squeeze", [starts, const("ax2b", i64(2))], "block_start_mask")
    later = node("Slice", [starts, c_one, big, c_one], "second_block_real")  # [batch, nchunks]
    first_chunk = node(
        "Concat",
        [
            node(
                "Expand",
                [const("one_i64_2d", np.ones((1, 1), dtype=np.int64)), node("Concat", [batch, c_one], "bx1", axis=0)],
                "ones_bx1",
            ),
            node("Slice", [later, c_one, big, c_one], "later_rest"),
        ],
        "chunk_valid_i",
        axis=1,
    )
    valid = node(
        "And",
        [
            node("Cast", [first_chunk], "chunk_valid", to=TensorProto.BOOL),
            node("Greater", [n, const("zero_f", np.asarray(0.0, dtype=np.float32))], "chunk_nonempty"),
        ],
        "chunk_ok",
    )
    zc = node("Where", [valid, z, c_empty], "chunk_z_ok")
    zmax = node("ReduceMax", [zc], "z", axes=[1], keepdims=1)  # [batch, 1]
    half = node("Mul", [zmax, c_half], "z_half")
    node("Concat", [node("Neg", [half], "z_neg_half"), half], "logits", axis=1)

    graph = helper.make_graph(
        nodes,
        "bulwark_ngram_chunk_classifier",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="bulwark-training",
        producer_version="1",
        doc_string=doc,
    )
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model
