import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type ManifestProblem, validateManifests } from '../../shared/manifests.ts';
import { type Command, UsageError } from '../command.ts';

const validate: Command = {
  summary: 'Check LlmDeployment and GuardrailPolicy YAML against the API schemas, offline.',
  usage: `Usage: bulwark validate -f FILE [-f FILE ...]

Reads each file (multi-document YAML; "-" for stdin) and checks every LlmDeployment and
GuardrailPolicy against the same schemas and rules the API server enforces. Other kinds are skipped.
Prints every problem as FILE[#doc] KIND/NAME: field.path: message. Exit 0 if all are valid, 1 if not.

Flags:
  -f, --filename FILE   file to check (repeatable)
  -q, --quiet           print problems only`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        quiet: { type: 'boolean', short: 'q' },
      },
      allowPositionals: false,
    });
    const files = values.filename ?? [];
    if (files.length === 0) throw new UsageError('at least one -f FILE is required');
    let failed = false;
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (err) {
        console.error(`${file}: cannot read: ${(err as Error).message}`);
        failed = true;
        continue;
      }
      const results = validateManifests(text);
      for (const result of results) {
        const where = `${file}${results.length > 1 ? `#${result.index}` : ''} ${result.kind}/${result.name}`;
        if (result.skipped) continue;
        if (result.problems.length === 0) {
          if (!values.quiet) console.log(`${where}: valid`);
          continue;
        }
        failed = true;
        for (const problem of result.problems) console.error(`${where}: ${formatProblem(problem)}`);
      }
    }
    return failed ? 1 : 0;
  },
};

function formatProblem(p: ManifestProblem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

export default validate;
