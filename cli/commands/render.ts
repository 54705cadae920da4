import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { GuardrailPolicy, LlmDeployment } from '../../api/v1alpha1/index.ts';
import { DEFAULT_GUARD_IMAGE } from '../../operator/constants.ts';
import {
  buildDesiredState,
  InvalidSpecError,
  type KubeObject,
  type OperatorConfig,
  referencedSecrets,
  secretDataDigests,
  secretsHash,
} from '../../operator/desired/index.ts';
import { toJsonList, toYamlDocuments } from '../../operator/desired/render.ts';
import { issuesToProblems } from '../../shared/manifests.ts';
import { policyHash } from '../../shared/policy/index.ts';
import { type Command, UsageError } from '../command.ts';

const usage = `Usage: bulwark render -f FILE [-f FILE ...] [-p POLICY] [flags]

Prints the Kubernetes objects the operator would apply for every LlmDeployment in the files, offline:
exactly what its builders return, in apply order, as multi-document YAML (or a JSON List).

The GuardrailPolicy an LlmDeployment references (spec.guard.policyRef.name) comes from -p, else from
the documents of -f; if it is in neither, render fails. Secrets among the documents feed the
secrets-hash annotation as the operator computes it; referenced Secrets that are absent are hashed as
missing and named on stderr. Manifests without metadata.uid (not read back from a cluster) render
without owner references, so the output is safe to kubectl apply.

Flags:
  -f, --filename FILE             LlmDeployment manifests (multi-document YAML; "-" for stdin), repeatable
  -p, --policy FILE               GuardrailPolicy manifest to enforce
  -n, --namespace NS              namespace for manifests without one (default "default")
      --guard-image IMAGE         guard image when spec.guard.image is unset (default ${DEFAULT_GUARD_IMAGE})
      --service-monitor           the Prometheus Operator is installed: add a ServiceMonitor
      --security-profiles-operator  the Security Profiles Operator is installed: add its profile objects
  -o, --output yaml|json          output format (default yaml)`;

interface Doc {
  file: string;
  index: number;
  object: Record<string, unknown> & {
    kind?: unknown;
    apiVersion?: unknown;
    metadata?: Record<string, unknown>;
  };
}

function readDocs(file: string): Doc[] {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new RenderError(`${file}: cannot read: ${(err as Error).message}`);
  }
  const docs: Doc[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    if (doc.contents === null) return;
    if (doc.errors.length > 0) throw new RenderError(`${file}#${index}: YAML: ${doc.errors[0]!.message}`);
    const object = doc.toJS();
    if (object && typeof object === 'object') docs.push({ file, index, object });
  });
  return docs;
}

class RenderError extends Error {}

function where(doc: Doc): string {
  return `${doc.file}#${doc.index} ${String(doc.object.kind)}/${String(doc.object.metadata?.name ?? '?')}`;
}

function parseOrFail<T>(schema: z.ZodType<T>, doc: Doc): T {
  const parsed = schema.safeParse(doc.object);
  if (parsed.success) return parsed.data;
  const problems = issuesToProblems(parsed.error.issues).map((p) =>
    p.path ? `${p.path}: ${p.message}` : p.message,
  );
  throw new RenderError(`${where(doc)} is invalid:\n  ${problems.join('\n  ')}`);
}

/** A Secret's data as the API server stores it: stringData merged into data, base64-encoded. */
function secretData(doc: Doc): Record<string, string> {
  const data = { ...((doc.object.data as Record<string, string> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(
    (doc.object.stringData as Record<string, string> | undefined) ?? {},
  )) {
    data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  }
  return data;
}

const isKind = (doc: Doc, apiGroup: string, kind: string) =>
  doc.object.kind === kind &&
  String(doc.object.apiVersion ?? '')
    .split('/')
    .slice(0, -1)
    .join('/') === apiGroup;

const render: Command = {
  summary: 'Print the Kubernetes objects the operator would apply for an LlmDeployment, offline.',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        policy: { type: 'string', short: 'p' },
        namespace: { type: 'string', short: 'n' },
        'guard-image': { type: 'string' },
        'service-monitor': { type: 'boolean' },
        'security-profiles-operator': { type: 'boolean' },
        output: { type: 'string', short: 'o' },
      },
      allowPositionals: false,
    });
    const files = values.filename ?? [];
    if (files.length === 0) throw new UsageError('at least one -f FILE is required');
    const output = values.output ?? 'yaml';
    if (output !== 'yaml' && output !== 'json')
      throw new UsageError(`-o must be yaml or json, not "${output}"`);
    const defaultNamespace = values.namespace ?? 'default';
    const config: OperatorConfig = {
      guardImage: values['guard-image'] ?? DEFAULT_GUARD_IMAGE,
      serviceMonitor: values['service-monitor'] ?? false,
      securityProfilesOperator: values['security-profiles-operator'] ?? false,
    };

    try {
      const docs = files.flatMap(readDocs);
      const policyDocs = values.policy ? readDocs(values.policy) : docs;
      const llmDocs = docs.filter((d) => isKind(d, 'bulwark.dev', 'LlmDeployment'));
      if (llmDocs.length === 0) throw new RenderError(`no LlmDeployment in ${files.join(', ')}`);
      const policies = policyDocs
        .filter((d) => isKind(d, 'bulwark.dev', 'GuardrailPolicy'))
        .map((d) => parseOrFail(GuardrailPolicy, d));
      if (values.policy && policies.length === 0)
        throw new RenderError(`no GuardrailPolicy in ${values.policy}`);
      const secrets = new Map<string, { namespace?: string; data: Record<string, string> }>();
      for (const d of docs.filter((doc) => doc.object.kind === 'Secret' && doc.object.apiVersion === 'v1')) {
        secrets.set(`${d.object.metadata?.namespace ?? ''}/${d.object.metadata?.name}`, {
          data: secretData(d),
        });
      }

      const objects: KubeObject[] = [];
      for (const doc of llmDocs) {
        const llm = parseOrFail(LlmDeployment, doc);
        const namespace = llm.metadata.namespace ?? defaultNamespace;
        llm.metadata.namespace = namespace;
        const policyName = llm.spec.guard.policyRef.name;
        const candidates = policies.filter((p) => (p.metadata.namespace ?? namespace) === namespace);
        const policy =
          candidates.find((p) => p.metadata.name === policyName) ??
          // -p with a single policy is an explicit choice: render with it whatever its name.
          (values.policy && candidates.length === 1 ? candidates[0] : undefined);
        if (!policy) {
          throw new RenderError(
            `${where(doc)} references GuardrailPolicy ${namespace}/${policyName}, which is in none of the files; pass it with -p POLICY`,
          );
        }
        if (policy.metadata.name !== policyName) {
          console.error(
            `note: rendering ${llm.metadata.name} with GuardrailPolicy ${policy.metadata.name} from -p (it references ${policyName})`,
          );
        }

        const digests = new Map<string, Record<string, string> | undefined>();
        for (const ref of referencedSecrets(llm)) {
          const secret = secrets.get(`${namespace}/${ref.secretName}`) ?? secrets.get(`/${ref.secretName}`);
          digests.set(ref.secretName, secret ? secretDataDigests(secret.data) : undefined);
          if (!secret)
            console.error(
              `note: Secret ${ref.secretName} (${ref.field}) is not among the files; hashed as missing`,
            );
        }
        objects.push(
          ...buildDesiredState(
            llm,
            { policy: { ...policy, hash: policyHash(policy.spec) }, secretsHash: secretsHash(llm, digests) },
            config,
          ),
        );
      }
      process.stdout.write(output === 'json' ? toJsonList(objects) : toYamlDocuments(objects));
      return 0;
    } catch (err) {
      if (err instanceof RenderError) {
        console.error(`bulwark render: ${err.message}`);
        return 1;
      }
      if (err instanceof InvalidSpecError) {
        console.error(`bulwark render: ${err.field}: ${err.message}`);
        return 1;
      }
      throw err;
    }
  },
};

export default render;
