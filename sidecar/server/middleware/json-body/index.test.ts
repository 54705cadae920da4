import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonDepth, parseJson } from './index.ts';

test('jsonDepth ignores brackets inside strings', () => {
  assert.equal(jsonDepth('{"a":[1,{"b":"[[[{{{"}]}'), 3);
  assert.equal(jsonDepth('"\\"[["'), 0);
  // A quote after an even number of backslashes ends the string; after an odd number it does not.
  assert.equal(jsonDepth('{"a":"\\\\","b":[[1]]}'), 3);
  assert.equal(jsonDepth('{"a":"\\\\\\"[[","b":[1]}'), 2);
  assert.equal(jsonDepth('["unterminated [[['), 1);
});

test('parseJson: invalid UTF-8, too deep and malformed each have their own code', () => {
  const code = (raw: Buffer) => {
    try {
      parseJson(raw, 4);
      return 'ok';
    } catch (err) {
      return (err as { code: string }).code;
    }
  };
  assert.equal(code(Buffer.from([0x7b, 0xff, 0x7d])), 'invalid_utf8');
  assert.equal(code(Buffer.from('[[[[[1]]]]]')), 'json_too_deep');
  assert.equal(code(Buffer.from('{"a":')), 'invalid_json');
  assert.equal(code(Buffer.from('{"a":[1]}')), 'ok');
  assert.equal(code(Buffer.from('\ufeff{"a":[1]}')), 'ok', 'a leading byte-order mark is ignored');
});
