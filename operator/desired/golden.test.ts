// Golden files: what every builder returns for each scenario in fixtures.ts, as the multi-document YAML
// `bulwark render` prints. Regenerate with `UPDATE_GOLDEN=1 node --import tsx --test operator/desired/golden.test.ts`
// and review the diff like code.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { guardAppArmorProfile } from './apparmor.ts';
import { sampleInputs, sampleLlm, scenarios } from './fixtures.ts';
import { buildDesiredState } from './index.ts';
import { toYamlDocuments } from './render.ts';
import { guardSeccompProfile, seccompProfileJson } from './seccomp.ts';

const testdata = new URL('./testdata/', import.meta.url);
const update = process.env.UPDATE_GOLDEN === '1';

function golden(file: string, actual: string): void {
  const url = new URL(file, testdata);
  if (update) {
    mkdirSync(testdata, { recursive: true });
    writeFileSync(url, actual);
    return;
  }
  assert.ok(existsSync(url), `${file} is missing: run with UPDATE_GOLDEN=1 to create it`);
  assert.equal(actual, readFileSync(url, 'utf8'), `${file} differs: if intended, rerun with UPDATE_GOLDEN=1`);
}

describe('golden desired state', () => {
  for (const { name, llm, config } of scenarios()) {
    test(name, () => {
      golden(`${name}.golden.yaml`, toYamlDocuments(buildDesiredState(llm, sampleInputs(), config)));
    });
  }
});

describe('golden security profiles', () => {
  test('seccomp profile (egress dns)', () => {
    golden('seccomp-guard.golden.json', seccompProfileJson(guardSeccompProfile(sampleLlm())));
  });
  test('seccomp profile (egress none: no UDP sockets)', () => {
    const llm = sampleLlm((spec) => {
      spec.network.egress = { mode: 'none' };
    });
    golden('seccomp-guard-egress-none.golden.json', seccompProfileJson(guardSeccompProfile(llm)));
  });
  test('AppArmor profile (egress dns)', () => {
    golden('apparmor-guard.golden.txt', guardAppArmorProfile(sampleLlm()).text);
  });
  test('AppArmor profile (egress none: no UDP)', () => {
    const llm = sampleLlm((spec) => {
      spec.network.egress = { mode: 'none' };
    });
    golden('apparmor-guard-egress-none.golden.txt', guardAppArmorProfile(llm).text);
  });
});
