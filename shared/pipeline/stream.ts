import type { Finding, ScanContext } from '../../sidecar/scanners/types.ts';
import { type CompiledEntry, type Recorder, rewrite, runEntry } from './record.ts';
import type { AnalysisRecord, OutputStream } from './types.ts';

/** Hold-back for scanners that do not state their longest finding. */
export const DEFAULT_HOLD_BACK = 256;
/** Released text kept (unreleasable) in front of the window so word boundaries and look-behinds still work. */
const CONTEXT = 64;

/**
 * One blocking or rewriting output entry, scanning a stream incrementally.
 *
 * The stage keeps the text it has not released yet. After each delta it scans released context + held
 * text and releases everything except the last `holdBack` characters (holdBack ≥ the scanner's longest
 * finding), moving the cut back further so that it never splits a finding. A finding that will only
 * exist once more text arrives must end after the current end, and since it is at most holdBack long it
 * starts after the cut: nothing the scanner would block or rewrite is released early. A finding that
 * reaches the end of the window (a private key block without its END line yet) keeps everything from
 * its start held, however long it gets.
 *
 * Entries are chained: each stage feeds what it releases to the next, so rewrites compose exactly as in
 * the non-streamed path and each stage only reasons about its own findings. The total hold-back is the
 * sum over stages, which is bounded by the policy.
 */
class Stage {
  private held = '';
  private context = '';
  private readonly holdBack: number;

  constructor(
    private readonly e: CompiledEntry,
    private readonly ctx: ScanContext,
    private readonly recorder: Recorder,
  ) {
    const declared = e.scanner.scope === 'complete' ? Number.POSITIVE_INFINITY : e.scanner.maxFindingLength;
    this.holdBack = declared ?? DEFAULT_HOLD_BACK;
  }

  async push(delta: string, final: boolean): Promise<{ release: string; blocked: boolean }> {
    this.held += delta;
    if (!final && !Number.isFinite(this.holdBack)) return { release: '', blocked: false };
    if (!final && this.held.length <= this.holdBack) return { release: '', blocked: false };
    const offset = this.context.length;
    const window = this.context + this.held;
    const outcome = await runEntry(this.e, window, this.ctx, this.recorder);
    if (this.recorder.outcome(this.e, outcome)) return { release: '', blocked: true };
    // Failed open: the scanner gives no findings, the text goes through as it is.
    const findings = outcome.kind === 'ok' && outcome.fired ? outcome.result.findings : [];
    // Findings in held-text coordinates, ignoring those wholly inside the already released context.
    const spans = findings
      .filter((f) => f.end > offset)
      .map((f) => ({ ...f, start: Math.max(0, f.start - offset), end: f.end - offset }))
      .sort((a, b) => a.start - b.start);
    let cut = final ? this.held.length : Math.max(0, this.held.length - this.holdBack);
    // Never split a finding: move the cut to the start of any finding that straddles it.
    for (let moved = true; moved; ) {
      moved = false;
      for (const f of spans) {
        if (f.start < cut && f.end > cut) {
          cut = f.start;
          moved = true;
        }
      }
    }
    if (cut === 0) return { release: '', blocked: false };
    const released = this.held.slice(0, cut);
    const inside: Finding[] = spans.filter((f) => f.end <= cut);
    const out = rewrite(this.e, released, inside, this.ctx);
    this.context = (this.context + released).slice(-CONTEXT);
    this.held = this.held.slice(cut);
    return { release: out, blocked: false };
  }
}

/** Incremental output scanning of one streamed choice: rewriting/blocking stages, then flags at the end. */
export function createOutputStream(
  entries: readonly CompiledEntry[],
  ctx: ScanContext,
  recorder: Recorder,
): OutputStream {
  const stages = entries.filter((e) => e.action !== 'flag').map((e) => new Stage(e, ctx, recorder));
  const flags = entries.filter((e) => e.action === 'flag');
  let released = '';
  let blocked = false;
  let analysis: AnalysisRecord | undefined;

  const feed = async (delta: string, final: boolean) => {
    let text = delta;
    for (const stage of stages) {
      const r = await stage.push(text, final);
      if (r.blocked) {
        blocked = true;
        return '';
      }
      text = r.release;
    }
    released += text;
    return text;
  };

  return {
    async push(delta) {
      if (blocked || analysis) return { release: '', blocked };
      const release = await feed(delta, false);
      return { release, blocked };
    },
    async end() {
      if (analysis) return { release: '', blocked, analysis };
      let release = '';
      if (!blocked) release = await feed('', true);
      // Flag-only entries change nothing, so they judge the complete response once.
      if (!blocked) {
        for (const e of flags) {
          if (recorder.outcome(e, await runEntry(e, released, ctx, recorder))) blocked = true;
        }
      }
      analysis = recorder.finish();
      return { release: blocked ? '' : release, blocked, analysis };
    },
  };
}
