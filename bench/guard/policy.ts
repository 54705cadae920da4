/** Rule scanners only: the classifier is a separate cost, measured with `bulwark eval`. */
export const BENCH_POLICY = `apiVersion: bulwark.dev/v1alpha1
kind: GuardrailPolicy
metadata:
  name: bench-rules
spec:
  failMode: closed
  input:
    - type: invisibleText
    - type: secrets
      action: redact
    - type: pii
      action: redact
    - type: bannedSubstrings
      params:
        substrings: ["project nightingale", "internal use only"]
    - type: regex
      action: redact
      params:
        patterns: ["\\\\bACME-[0-9]{6}\\\\b"]
  output:
    - type: secrets
      action: redact
    - type: pii
      action: redact
    - type: bannedSubstrings
      params:
        substrings: ["as an unrestricted AI"]
`;
