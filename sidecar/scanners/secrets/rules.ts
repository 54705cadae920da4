/**
 * Secret-detection rules. The set of credential kinds and their published formats follows the ones
 * gitleaks covers (https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml, MIT); the
 * expressions here are our own, written from the vendors' token format documentation and tuned for chat
 * text rather than source files: each rule has a short literal prefix or keyword so most text is
 * rejected by a cheap `includes` before any regular expression runs.
 */
export interface SecretRule {
  /** Stable id, usable in `secrets.params.rules` and reported as the finding kind. */
  id: string;
  description: string;
  /** Lower-case literals of which at least one must occur in the lower-cased text for the rule to run. */
  keywords: readonly string[];
  re: RegExp;
  /** Capture group holding the secret itself (default: the whole match). */
  group?: number;
  /** Minimum Shannon entropy (bits/char) of the secret, for rules whose shape alone is too loose. */
  minEntropy?: number;
  /** 0..1; vendor formats with fixed prefixes are certain, keyword + entropy rules less so. */
  score: number;
}

export const SECRET_RULES: readonly SecretRule[] = [
  {
    id: 'aws-access-key-id',
    description: 'AWS access key id (AKIA long-term, ASIA temporary)',
    keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'],
    re: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/g,
    score: 1,
  },
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key next to an aws/secret keyword',
    keywords: ['aws', 'secret'],
    re: /(?:aws|secret)[\w .-]{0,25}?(?:key|secret)[\w]{0,10}["']?\s*[:=>]{1,2}\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
    minEntropy: 4,
    score: 1,
  },
  {
    id: 'gcp-api-key',
    description: 'Google Cloud / Firebase API key',
    keywords: ['aiza'],
    re: /\bAIza[\w-]{35}(?![\w-])/g,
    score: 1,
  },
  {
    id: 'gcp-oauth-client-secret',
    description: 'Google OAuth client secret',
    keywords: ['gocspx-'],
    re: /\bGOCSPX-[\w-]{28}(?![\w-])/g,
    score: 1,
  },
  {
    id: 'gcp-service-account',
    description: 'Google service-account key file (JSON)',
    keywords: ['service_account'],
    re: /"type"\s*:\s*"service_account"/g,
    score: 0.9,
  },
  {
    id: 'azure-storage-account-key',
    description: 'Azure storage account key in a connection string',
    keywords: ['accountkey='],
    re: /AccountKey=([A-Za-z0-9+/]{86}==)/g,
    group: 1,
    score: 1,
  },
  {
    id: 'azure-sas-key',
    description: 'Azure Service Bus / Event Hubs shared access key',
    keywords: ['sharedaccesskey='],
    re: /SharedAccessKey=([A-Za-z0-9+/]{42,44}=)/g,
    group: 1,
    score: 1,
  },
  {
    id: 'azure-ad-client-secret',
    description: 'Microsoft Entra ID (Azure AD) client secret',
    keywords: ['q~'],
    re: /(?<![\w~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![\w~.-])/g,
    score: 1,
  },
  {
    id: 'github-pat',
    description: 'GitHub personal access token (classic)',
    keywords: ['ghp_'],
    re: /\bghp_[0-9A-Za-z]{36}\b/g,
    score: 1,
  },
  {
    id: 'github-fine-grained-pat',
    description: 'GitHub fine-grained personal access token',
    keywords: ['github_pat_'],
    re: /\bgithub_pat_\w{82}\b/g,
    score: 1,
  },
  {
    id: 'github-oauth',
    description: 'GitHub OAuth, user-to-server, server-to-server or refresh token',
    keywords: ['gho_', 'ghu_', 'ghs_', 'ghr_'],
    re: /\b(?:gho|ghu|ghs)_[0-9A-Za-z]{36}\b|\bghr_[0-9A-Za-z]{36,76}\b/g,
    score: 1,
  },
  {
    id: 'gitlab-token',
    description: 'GitLab personal, project, pipeline-trigger or runner token',
    keywords: ['glpat-', 'glptt-', 'glrt-', 'gr1348941', 'gldt-'],
    re: /\b(?:glpat-[\w-]{20,}|glptt-[0-9a-f]{40}|glrt-[\w-]{20,}|GR1348941[\w-]{20}|gldt-[\w-]{20,})(?![\w-])/g,
    score: 1,
  },
  {
    id: 'slack-token',
    description: 'Slack bot, user, app or configuration token',
    keywords: ['xox', 'xapp-'],
    re: /\b(?:xox[baprse]-[0-9]{8,13}-[0-9A-Za-z-]{8,}|xoxe\.xox[bp]-\d-[0-9A-Za-z]{146,}|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)(?![\w-])/g,
    score: 1,
  },
  {
    id: 'slack-webhook',
    description: 'Slack incoming-webhook URL',
    keywords: ['hooks.slack.com'],
    re: /https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/_-]{30,100}/g,
    score: 1,
  },
  {
    id: 'stripe-key',
    description: 'Stripe secret or restricted key',
    keywords: ['sk_live', 'sk_test', 'rk_live', 'rk_test', 'sk_prod', 'rk_prod'],
    re: /\b(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{10,99}\b/g,
    score: 1,
  },
  {
    id: 'openai-api-key',
    description: 'OpenAI API key (legacy, project, service-account and admin keys)',
    keywords: ['sk-'],
    // Not after a word character or '-' (nor was it after a word character): from every "sk-" of
    // "sk-sk-sk-...", the run of key characters was walked to its end again (134 KB: 15 s).
    re: /(?<![\w-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})(?![\w-])/g,
    score: 1,
  },
  {
    id: 'anthropic-api-key',
    description: 'Anthropic API or admin key',
    keywords: ['sk-ant-'],
    re: /\bsk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{32,}(?![\w-])/g,
    score: 1,
  },
  {
    id: 'huggingface-token',
    description: 'Hugging Face access token',
    keywords: ['hf_'],
    re: /\bhf_[A-Za-z]{34}\b/g,
    score: 1,
  },
  {
    id: 'npm-token',
    description: 'npm access token',
    keywords: ['npm_'],
    re: /\bnpm_[A-Za-z0-9]{36}\b/g,
    score: 1,
  },
  {
    id: 'sendgrid-api-key',
    description: 'SendGrid API key',
    keywords: ['sg.'],
    re: /\bSG\.[\w-]{22}\.[\w-]{43}\b/g,
    score: 1,
  },
  {
    id: 'jwt',
    description: 'JSON Web Token (header and payload are base64url JSON objects)',
    keywords: ['eyj'],
    // From the start of a base64url run only, for the same reason (181 KB: 12.7 s).
    re: /(?<![\w-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}(?![\w-])/g,
    score: 1,
  },
  {
    id: 'private-key',
    description: 'PEM private key block (RSA, EC, DSA, OpenSSH, PGP, PKCS#8)',
    keywords: ['private key'],
    // An unterminated block still counts (to the end of the text): a key cut off mid-way is still leaked.
    re: /-----BEGIN[ A-Z0-9_-]{0,30}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9_-]{0,30}PRIVATE KEY(?: BLOCK)?-----|$)/g,
    score: 1,
  },
  {
    id: 'connection-string-password',
    description: 'Password inside a database or broker URL',
    keywords: ['://'],
    re: /\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|ftp|smtp)s?:\/\/[^:@\s/]{1,64}:([^@\s/]{4,128})@/gi,
    group: 1,
    score: 0.9,
  },
  {
    id: 'generic-api-key',
    description: 'High-entropy value assigned to a key-, token-, secret- or password-like name',
    keywords: ['key', 'token', 'secret', 'passw', 'pwd', 'auth', 'credential'],
    re: /\b[\w.-]{0,30}?(?:api[_-]?key|apikey|access[_-]?key|secret|token|passw(?:or)?d|pwd|auth[_-]?key|credentials?|client[_-]?secret|private[_-]?key)[\w.-]{0,20}["']?\s*(?::=|=>|[:=])\s*["'`]?([A-Za-z0-9_\-+/=.~!@#$%^&*]{12,200})(?![A-Za-z0-9_\-+/=.~])/gi,
    group: 1,
    minEntropy: 3.5,
    score: 0.8,
  },
];

/** Values that look like an assignment but are documentation placeholders, not credentials. */
export const PLACEHOLDER =
  /^(?:x{4,}|\*{4,}|\.{3,}|<[^>]*>|\$\{?[\w.]+\}?|\{\{.*\}\}|%[\w]+%|your[_-]?\w*|changeme\w*|example\w*|placeholder\w*|dummy\w*|redacted\w*|test(?:ing)?|secret|password\d*|null|none|undefined|true|false|process\.env\.\w+|os\.environ.*)$/i;
