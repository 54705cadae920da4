import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanContext } from '../types.ts';
import { findPii, ibanValid, ipv6Valid, luhn, pii, ssnValid } from './index.ts';

const ctx = (): ScanContext => ({ direction: 'input', state: { requestId: 'r', vault: new Map() } });
const kinds = (text: string) =>
  findPii(
    text,
    new Set(['EMAIL', 'PHONE', 'CREDIT_CARD', 'IBAN', 'US_SSN', 'IP_ADDRESS', 'STREET_ADDRESS']),
  ).findings.map((f) => `${f.kind}:${text.slice(f.start, f.end)}`);

describe('pii checksums and ranges', () => {
  it('luhn', () => {
    assert.equal(luhn('4111111111111111'), true);
    assert.equal(luhn('4111111111111112'), false);
  });
  it('IBAN mod-97 with per-country length', () => {
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 32'), true);
    assert.equal(ibanValid('DE89370400440532013000'), true);
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 33'), false);
    assert.equal(ibanValid('DE8937040044053201300'), false); // one digit short for DE
  });
  it('SSN ranges the SSA never issues', () => {
    assert.equal(ssnValid('123', '45', '6789'), true);
    for (const [a, g, s] of [
      ['000', '12', '3456'],
      ['666', '12', '3456'],
      ['901', '12', '3456'],
      ['123', '00', '4567'],
      ['123', '45', '0000'],
    ]) {
      assert.equal(ssnValid(a!, g!, s!), false, `${a}-${g}-${s}`);
    }
  });
  it('IPv6 text forms', () => {
    for (const ok of [
      '2001:db8::1',
      'fe80::1ff:fe23:4567:890a',
      '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
      '::ffff:192.0.2.128',
    ])
      assert.equal(ipv6Valid(ok), true, ok);
    for (const bad of ['12:30:45', '1::2::3', '2001:db8:::1', 'a:b:c'])
      assert.equal(ipv6Valid(bad), false, bad);
  });
});

describe('pii detection', () => {
  it('true positives', () => {
    assert.deepEqual(kinds('write to jane.doe+news@mail.example.co.uk today'), [
      'EMAIL:jane.doe+news@mail.example.co.uk',
    ]);
    assert.deepEqual(kinds('card 4111-1111-1111-1111 exp 12/29'), ['CREDIT_CARD:4111-1111-1111-1111']);
    assert.deepEqual(kinds('amex 3782 822463 10005'), ['CREDIT_CARD:3782 822463 10005']);
    assert.deepEqual(kinds('IBAN: GB82 WEST 1234 5698 7654 32.'), ['IBAN:GB82 WEST 1234 5698 7654 32']);
    assert.deepEqual(kinds('my SSN is 123-45-6789'), ['US_SSN:123-45-6789']);
    assert.deepEqual(kinds('SSN: 123456789'), ['US_SSN:123456789']);
    assert.deepEqual(kinds('server at 192.168.10.254 and 2001:db8::8a2e:370:7334'), [
      'IP_ADDRESS:192.168.10.254',
      'IP_ADDRESS:2001:db8::8a2e:370:7334',
    ]);
    assert.deepEqual(kinds('call +1 (415) 555-0132 or (212) 555-0199'), [
      'PHONE:+1 (415) 555-0132',
      'PHONE:(212) 555-0199',
    ]);
    assert.deepEqual(kinds('phone: 030 1234 5678'), ['PHONE:030 1234 5678']);
    assert.deepEqual(kinds('ship to 1600 Pennsylvania Avenue NW, Washington, DC 20500 please'), [
      'STREET_ADDRESS:1600 Pennsylvania Avenue NW, Washington, DC 20500',
    ]);
    assert.deepEqual(kinds('Lieferung an Hauptstraße 5a, 10115 Berlin'), [
      'STREET_ADDRESS:Hauptstraße 5a, 10115 Berlin',
    ]);
  });

  it('the cheap pre-checks let every shape through', () => {
    // Separators between every digit, a national number right after a colon, each German suffix ending.
    assert.deepEqual(kinds('card 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 ok'), [
      'CREDIT_CARD:4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1',
    ]);
    assert.deepEqual(kinds('Fax:0301234567'), ['PHONE:0301234567']);
    assert.deepEqual(kinds('call 212.555.0199 now'), ['PHONE:212.555.0199']);
    for (const street of [
      'Lindenstr. 7',
      'Am Hauptweg 12',
      'Marktplatz 3',
      'Bahnhofstrasse 10',
      'Ostring 4',
    ]) {
      assert.deepEqual(kinds(`an ${street}`), [`STREET_ADDRESS:${street.replace(/^Am /, '')}`], street);
    }
  });

  it('true negatives', () => {
    for (const text of [
      'order 4111 1111 1111 1112 (fails Luhn)',
      'reference 1234567812345678 is a random id', // passes no network prefix
      'SSN 666-12-3456 is not a real number',
      'version 1.2.3.4.5 and build 10.0.19045',
      'the meeting is at 12:30:45',
      'the ratio is 3:4 and the mac is 00:1a:2b:3c:4d:5e',
      'user@localhost is not an address',
      'call extension 4412',
      'IBAN GB82 WEST 1234 5698 7654 33',
      'we sold 1,234,567 units in 2023',
    ]) {
      assert.deepEqual(kinds(text), [], text);
    }
  });

  it('respects the entities option', () => {
    const r = findPii('a@example.com 123-45-6789', new Set(['US_SSN']));
    assert.deepEqual(
      r.findings.map((f) => f.kind),
      ['US_SSN'],
    );
  });
});

describe('pii rewrite', () => {
  it('anonymize numbers values per kind, reuses a placeholder for a repeated value, fills the vault', async () => {
    const s = pii();
    const c = ctx();
    const text = 'a@example.com, b@example.com and a@example.com again; card 4111111111111111';
    const r = await s.scan(text, c);
    const out = s.rewrite!(text, r.findings, c, 'anonymize');
    assert.equal(out, '<EMAIL_1>, <EMAIL_2> and <EMAIL_1> again; card <CREDIT_CARD_1>');
    assert.deepEqual(
      [...c.state.vault],
      [
        ['<EMAIL_1>', 'a@example.com'],
        ['<EMAIL_2>', 'b@example.com'],
        ['<CREDIT_CARD_1>', '4111111111111111'],
      ],
    );
    // A later text of the same request continues the numbering and reuses known values.
    const next = 'b@example.com and c@example.com';
    assert.equal(
      s.rewrite!(next, (await s.scan(next, c)).findings, c, 'anonymize'),
      '<EMAIL_2> and <EMAIL_3>',
    );
  });

  it('redact replaces with the kind and keeps nothing', async () => {
    const s = pii();
    const c = ctx();
    const text = 'mail a@example.com';
    assert.equal(s.rewrite!(text, (await s.scan(text, c)).findings, c, 'redact'), 'mail [REDACTED:EMAIL]');
    assert.equal(c.state.vault.size, 0);
  });
});
