import { stringify } from 'yaml';
import type { KubeObject } from './types.ts';

/** Multi-document YAML, one document per object, as `kubectl apply -f -` reads it (never anchors). */
export function toYamlDocuments(objects: readonly KubeObject[]): string {
  return objects
    .map((object) => `---\n${stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })}`)
    .join('');
}

/** A `v1 List`, the shape `kubectl get -o json` uses for several objects. */
export function toJsonList(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
}
