import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { detectLanguage, language, toIso6391 } from './index.ts';

const ctx: ScanContext = { direction: 'input', state: { requestId: 'r', vault: new Map() } };

describe('language', () => {
  it('maps ISO 639-3 codes to 639-1', () => {
    assert.equal(toIso6391('deu'), 'de');
    assert.equal(toIso6391('en'), 'en');
  });

  it('detects common languages', async () => {
    assert.equal(
      (await detectLanguage('Could you help me write a short letter to my landlord about the heating?'))
        ?.language,
      'en',
    );
    assert.equal(
      (await detectLanguage('Könnten Sie mir bitte helfen, einen Brief an meinen Vermieter zu schreiben?'))
        ?.language,
      'de',
    );
    assert.equal(
      (await detectLanguage('¿Podrías ayudarme a escribir una carta a mi casero sobre la calefacción?'))
        ?.language,
      'es',
    );
  });

  it('blocks languages outside the allow-list, passes allowed ones (639-1 or 639-3)', async () => {
    const s = language({ allowed: ['en', 'deu'] });
    assert.equal((await s.scan('Please summarise the attached meeting notes for me.', ctx)).score, 0);
    assert.equal(
      (await s.scan('Bitte fassen Sie die beigefügten Besprechungsnotizen für mich zusammen.', ctx)).score,
      0,
    );
    const fr = await s.scan(
      'Pouvez-vous résumer les notes de réunion ci-jointes pour moi, s’il vous plaît ?',
      ctx,
    );
    assert.ok(fr.score >= 0.5);
    assert.equal(fr.findings[0]!.kind, 'language:fr');
  });

  it('short texts, code and numbers carry no language and pass', async () => {
    const s = language({ allowed: ['en'] });
    assert.equal((await s.scan('ok 👍', ctx)).score, 0);
    assert.equal((await s.scan('```\nconst x = 42;\n```\n12345 https://example.com/a/b', ctx)).score, 0);
  });
});
