"""The fine-tuned MiniLM as an ONNX graph (opset 17) with the interface shared/classifier expects:
input_ids and attention_mask [batch, tokens] int64 in, logits [batch, 2] out with softmax(logits)[1] =
P(malicious). Built node by node from the trained weights (the same computation as model.py), then
dynamically quantized to int8 (weights only), which keeps the file under the 30 MB budget.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .base import HEADS, HIDDEN, LAYERS
from .model import LN_EPS

OPSET = 17


class _Graph:
    def __init__(self, params: dict[str, np.ndarray]):
        self.params = params
        self.nodes: list = []
        self.inits: list = []
        self.count = 0

    def const(self, name: str, value) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def weight(self, name: str) -> str:
        if not any(i.name == name for i in self.inits):
            self.const(name, self.params[name].astype(np.float32))
        return name

    def op(self, op_type: str, inputs: list[str], **attrs) -> str:
        self.count += 1
        out = f"{op_type.lower()}_{self.count}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def dense(self, x: str, name: str) -> str:
        return self.op("Add", [self.op("MatMul", [x, self.weight(name + ".weight")]), self.weight(name + ".bias")])

    def layer_norm(self, x: str, name: str) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.weight(name + ".weight"), self.weight(name + ".bias")],
            axis=-1,
            epsilon=LN_EPS,
        )


def build(params: dict[str, np.ndarray], doc: str) -> onnx.ModelProto:
    g = _Graph(params)
    d = HIDDEN // HEADS
    g.const("heads_shape", np.asarray([0, 0, HEADS, d], np.int64))
    g.const("hidden_shape", np.asarray([0, 0, HIDDEN], np.int64))
    g.const("one_index", np.asarray([1], np.int64))
    g.const("zero_scalar", np.asarray(0, np.int64))
    g.const("one_scalar", np.asarray(1, np.int64))
    g.const("axes_1", np.asarray([1], np.int64))
    g.const("axes_1_2", np.asarray([1, 2], np.int64))
    g.const("axes_2", np.asarray([2], np.int64))
    g.const("one_f", np.asarray(1.0, np.float32))
    g.const("zero_f", np.asarray(0.0, np.float32))
    g.const("neg_f", np.asarray(np.finfo(np.float32).min, np.float32))
    g.const("scale_f", np.asarray(1.0 / np.sqrt(d), np.float32))
    g.const("half_f", np.asarray(0.5, np.float32))
    g.const("inv_sqrt2_f", np.asarray(1.0 / np.sqrt(2.0), np.float32))
    g.const("tiny_f", np.asarray(1e-9, np.float32))
    g.const("token_type_0", params["embeddings.token_type_embeddings.weight"][0].astype(np.float32))

    tokens = g.op("Squeeze", [g.op("Gather", [g.op("Shape", ["input_ids"]), "one_index"], axis=0)])
    positions = g.op("Range", ["zero_scalar", tokens, "one_scalar"])
    x = g.op("Gather", [g.weight("embeddings.word_embeddings.weight"), "input_ids"], axis=0)
    x = g.op("Add", [x, g.op("Gather", [g.weight("embeddings.position_embeddings.weight"), positions], axis=0)])
    x = g.op("Add", [x, "token_type_0"])
    x = g.layer_norm(x, "embeddings.LayerNorm")

    mask_f = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    additive = g.op("Mul", [g.op("Sub", ["one_f", g.op("Unsqueeze", [mask_f, "axes_1_2"])]), "neg_f"])

    for i in range(LAYERS):
        pre = f"encoder.layer.{i}."

        def heads(y: str, perm: list[int]) -> str:
            return g.op("Transpose", [g.op("Reshape", [y, "heads_shape"])], perm=perm)

        q = heads(g.dense(x, pre + "attention.self.query"), [0, 2, 1, 3])
        k = heads(g.dense(x, pre + "attention.self.key"), [0, 2, 3, 1])
        v = heads(g.dense(x, pre + "attention.self.value"), [0, 2, 1, 3])
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), "scale_f"]), additive])
        ctx = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), v])
        ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[0, 2, 1, 3]), "hidden_shape"])
        x = g.layer_norm(g.op("Add", [x, g.dense(ctx, pre + "attention.output.dense")]), pre + "attention.output.LayerNorm")
        h = g.dense(x, pre + "intermediate.dense")
        erf = g.op("Erf", [g.op("Mul", [h, "inv_sqrt2_f"])])
        h = g.op("Mul", [g.op("Mul", [h, "half_f"]), g.op("Add", [erf, "one_f"])])
        x = g.layer_norm(g.op("Add", [x, g.dense(h, pre + "output.dense")]), pre + "output.LayerNorm")

    m = g.op("Unsqueeze", [mask_f, "axes_2"])
    summed = g.op("ReduceSum", [g.op("Mul", [x, m]), "axes_1"], keepdims=0)
    count = g.op("Max", [g.op("ReduceSum", [m, "axes_1"], keepdims=0), "tiny_f"])
    pooled = g.op("Div", [summed, count])
    z = g.dense(pooled, "head")
    g.nodes.append(helper.make_node("Concat", [g.op("Mul", [z, "zero_f"]), z], ["logits"], name="logits", axis=1))

    graph = helper.make_graph(
        g.nodes,
        "bulwark_minilm_classifier",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="bulwark_train")
    model.ir_version = 8
    model.doc_string = doc
    onnx.checker.check_model(model, full_check=True)
    return model


def quantize(model: onnx.ModelProto) -> bytes:
    """int8 weights for MatMul and the embedding Gathers; activations stay float (dynamic quantization). One scale
    per weight matrix: a scale per output channel (per_channel=True) keeps the float32 figures of the model alone
    but moved the default policy's operating point to more false positives on unseen text (the model card)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        src.write_bytes(model.SerializeToString(deterministic=True))
        quantize_dynamic(src, dst, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"])
        out = onnx.load(dst)
    unsigned_matmul_weights(out)
    return out.SerializeToString(deterministic=True)


def unsigned_matmul_weights(model: onnx.ModelProto) -> None:
    """Stores every MatMulInteger weight as uint8 with zero point 128 instead of int8 with zero point 0: the same
    numbers, whose integer products are then exact on every CPU. onnxruntime multiplies uint8 activations by int8
    weights with an instruction that saturates sums of two products on x86 CPUs without VNNI (AVX2 only, e.g. AMD
    EPYC before Zen 4), so the int8 model scored text otherwise there (a golden text 0.0027 instead of 0.0023, one
    external attack missed); its uint8 x uint8 kernels do not saturate on any CPU."""
    inits = {t.name: t for t in model.graph.initializer}
    consumers: dict[str, int] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1
    for node in model.graph.node:
        if node.op_type != "MatMulInteger" or len(node.input) < 4:
            continue
        weight, zero_point = inits.get(node.input[1]), inits.get(node.input[3])
        if weight is None or zero_point is None or weight.data_type != TensorProto.INT8:
            continue
        if consumers[weight.name] != 1 or consumers[zero_point.name] != 1:
            raise ValueError(f"{weight.name}: a weight shared with another node cannot be re-typed in place")
        shift = np.int16(128)
        for tensor in (weight, zero_point):
            shifted = (numpy_helper.to_array(tensor).astype(np.int16) + shift).astype(np.uint8)
            tensor.CopyFrom(numpy_helper.from_array(shifted, tensor.name))
