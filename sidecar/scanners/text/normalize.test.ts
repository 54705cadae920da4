import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinSpacedLetters, originalSpan, skeleton } from './normalize.ts';

describe('skeleton', () => {
  it('folds case, compatibility forms, marks and look-alikes to plain Latin', () => {
    assert.equal(skeleton('ＩＧＮＯＲＥ').text, 'ignore'); // fullwidth
    assert.equal(skeleton('𝐢𝐠𝐧𝐨𝐫𝐞').text, 'ignore'); // mathematical bold
    assert.equal(skeleton('ïgnörè').text, 'ignore'); // diacritics
    assert.equal(skeleton('іgnоrе').text, 'ignore'); // Cyrillic і, о, е
    assert.equal(skeleton('ΙGΝΟRΕ').text, 'ignore'); // Greek capitals
    assert.equal(skeleton('ɪɢɴᴏʀᴇ').text, 'ignore'); // small capitals
    assert.equal(skeleton('🇮🇬🇳🇴🇷🇪').text, 'ignore'); // regional indicators
  });

  it('drops invisibles so zero-width splitting does not hide a word', () => {
    assert.equal(skeleton('ig\u200bno\u200dre\u2060 pre\u00advious').text, 'ignore previous');
    assert.equal(skeleton('sys\u{E0074}tem').text, 'system');
  });

  it('collapses whitespace runs, keeping line breaks as one newline', () => {
    assert.equal(skeleton('  a \t b\n\n  c  ').text, 'a b\nc ');
  });

  it('maps skeleton spans back to the original text', () => {
    const original = 'Say Ｈｉ to 𝐁ob';
    const sk = skeleton(original);
    const at = sk.text.indexOf('hi');
    assert.deepEqual(originalSpan(sk, original, at, at + 2), { start: 4, end: 6 });
    const bob = sk.text.indexOf('bob');
    const span = originalSpan(sk, original, bob, bob + 3);
    assert.equal(original.slice(span.start, span.end), '𝐁ob');
  });
});

describe('joinSpacedLetters', () => {
  it('joins letters spelled out one by one', () => {
    assert.equal(joinSpacedLetters('please i g n o r e this'), 'please ignore this');
    assert.equal(joinSpacedLetters('i.g.n.o.r.e all'), 'ignore all');
  });
  it('leaves ordinary short words alone', () => {
    assert.equal(joinSpacedLetters('a b testing of x y'), 'a b testing of x y');
  });
  it('keeps a word break where the original gap was wider than the gaps between letters', () => {
    const original = 'D r o p   t h e   r u l e s \tn o w';
    const sk = skeleton(original);
    assert.equal(sk.text, 'd r o p t h e r u l e s n o w');
    assert.equal(joinSpacedLetters(sk.text, sk.map), 'drop the rules now');
    assert.equal(joinSpacedLetters(sk.text), 'droptherulesnow');
  });
});
