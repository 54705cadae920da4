import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdFiles } from './crds.ts';

const crdDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'crds');
mkdirSync(crdDir, { recursive: true });
for (const [file, text] of renderCrdFiles()) {
  writeFileSync(join(crdDir, file), text);
  console.log(`wrote crds/${file}`);
}
