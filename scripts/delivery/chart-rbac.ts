// Generates the chart's operator RBAC rule files from operator/rbac.ts, the operator's own statement of
// what it does with the API. `make chart-sync` runs it; test/delivery/chart.test.ts fails on drift.
//
//   npx tsx scripts/delivery/chart-rbac.ts          write charts/bulwark/files/operator-*-rules.yaml
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RBAC_MODULE = join(ROOT, 'operator', 'rbac.ts');
export const FILES_DIR = join(ROOT, 'charts', 'bulwark', 'files');

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Chart file name → (export of operator/rbac.ts, what the file is for). */
const FILES: Record<string, [string, string]> = {
  'operator-rules.yaml': [
    'namespaceRules',
    'In every namespace the operator manages: a ClusterRoleBinding when operator.watchNamespaces is empty,\n# otherwise one RoleBinding per namespace.',
  ],
  'operator-cluster-rules.yaml': [
    'clusterRules',
    'Cluster-scoped children (Security Profiles Operator profiles), in either mode.',
  ],
  'operator-leader-rules.yaml': [
    'leaderElectionRules',
    "Leader election, in the operator's own namespace only.",
  ],
};

/** The chart's rule files as operator/rbac.ts says they must read. */
export async function ruleFiles(): Promise<Map<string, string>> {
  const mod = (await import(pathToFileURL(RBAC_MODULE).href)) as Record<string, PolicyRule[] | undefined>;
  const files = new Map<string, string>();
  for (const [file, [exportName, purpose]] of Object.entries(FILES)) {
    const rules = mod[exportName];
    if (!Array.isArray(rules)) throw new Error(`operator/rbac.ts does not export ${exportName}`);
    const header = `# Generated from operator/rbac.ts (${exportName}) by scripts/delivery/chart-rbac.ts. Do not edit.\n# ${purpose}\n`;
    const body = rules.map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs }));
    files.set(file, header + stringify(body));
  }
  return files;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!existsSync(RBAC_MODULE)) {
    console.error('operator/rbac.ts not found; chart RBAC left as is');
    process.exit(0);
  }
  for (const [file, text] of await ruleFiles()) {
    await writeFile(join(FILES_DIR, file), text);
    console.log(`wrote charts/bulwark/files/${file}`);
  }
}
