import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { noRefusal } from './index.ts';

const ctx: ScanContext = { direction: 'output', state: { requestId: 'r', vault: new Map() } };

describe('noRefusal', () => {
  it('recognises refusals', async () => {
    for (const text of [
      "I'm sorry, but I can't help with that.",
      'I cannot assist with creating malware.',
      'As an AI language model, I cannot browse the internet.',
      'I must respectfully decline this request.',
      'I’m unable to provide that information.',
    ]) {
      assert.ok((await noRefusal().scan(text, ctx)).score >= 0.5, text);
    }
  });

  it('ordinary answers, including ones that mention "can\'t", do not count', async () => {
    for (const text of [
      'Sure! Here is the recipe you asked for.',
      "You can't divide by zero, so the function returns NaN.",
      'Sorry for the delay: here are the figures.',
    ]) {
      assert.ok((await noRefusal().scan(text, ctx)).score < 0.5, text);
    }
  });
});
