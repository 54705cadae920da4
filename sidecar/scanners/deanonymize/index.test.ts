import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { deanonymize } from './index.ts';

describe('deanonymize', () => {
  it('restores placeholders of this request and leaves unknown ones', async () => {
    const ctx: ScanContext = {
      direction: 'output',
      state: {
        requestId: 'r',
        vault: new Map([
          ['<EMAIL_1>', 'a@example.com'],
          ['<PHONE_1>', '+1 415 555 0132'],
        ]),
      },
    };
    const s = deanonymize();
    const text = 'Mail <EMAIL_1> or call <PHONE_1>; <EMAIL_7> is made up, EMAIL_1 is not a placeholder.';
    const r = await s.scan(text, ctx);
    assert.equal(r.findings.length, 2);
    assert.equal(
      s.rewrite!(text, r.findings, ctx, 'redact'),
      'Mail a@example.com or call +1 415 555 0132; <EMAIL_7> is made up, EMAIL_1 is not a placeholder.',
    );
  });

  it('does nothing with an empty vault', async () => {
    const r = await deanonymize().scan('<EMAIL_1>', {
      direction: 'output',
      state: { requestId: 'r', vault: new Map() },
    });
    assert.deepEqual(r, { score: 0, findings: [] });
  });
});
