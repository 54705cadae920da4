import winston from 'winston';

export type Logger = winston.Logger;

/**
 * Renames winston's fields to Elastic Common Schema names (https://www.elastic.co/guide/en/ecs/current/)
 * so log pipelines can index operator and guard lines without per-service parsing rules.
 */
const ecsFields = winston.format((info) => {
  const { level, message, timestamp, ...rest } = info as Record<string | symbol, unknown>;
  const out = info as Record<string | symbol, unknown>;
  for (const key of Object.keys(out)) delete out[key];
  Object.assign(out, {
    '@timestamp': timestamp,
    'log.level': level,
    message,
    'ecs.version': '8.11.0',
    ...rest,
  });
  out.level = level;
  return info;
});

export interface LoggerOptions {
  /** ECS service.name, e.g. bulwark-operator or bulwark-guard. */
  service: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read lines back. */
  stream?: NodeJS.WritableStream;
}

export function createLogger({ service, level, stream }: LoggerOptions): Logger {
  return winston.createLogger({
    level: level ?? process.env.BULWARK_LOG_LEVEL ?? 'info',
    defaultMeta: { 'service.name': service },
    format: winston.format.combine(winston.format.timestamp(), ecsFields(), winston.format.json()),
    transports: [stream ? new winston.transports.Stream({ stream }) : new winston.transports.Console()],
  });
}
