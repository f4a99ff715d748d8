/**
 * The node's logger: JSON lines on stderr (pino), in one of two shapes.
 *
 * - `json` (default): pino's own fields — `level` (number: 30 info, 40 warn, 50 error), `time`
 *   (ms since the epoch), `pid`, `hostname`, `name` ("p2pdv-node"), `msg`, `err` for errors, and
 *   the event's own fields (`object`, `peer`, `version`, `code`…).
 * - `ecs`: Elastic Common Schema 8, for Elasticsearch, Filebeat or Loki pipelines that expect it —
 *   `@timestamp` (ISO 8601), `log.level` (label), `message`, `ecs.version`, `service.name`,
 *   `process.pid`, `host.hostname`, `error.{type,message,stack_trace,code}` for errors; the
 *   event's own fields stay as they are, at the top level.
 *
 * Neither ever holds a key: nothing logs key material (see docs/threat-model.md).
 */
import { hostname } from 'node:os'
import { pino, type Logger } from 'pino'

export const LOG_FORMATS = ['json', 'ecs'] as const
export type LogFormat = typeof LOG_FORMATS[number]

/** The ECS version the `ecs` shape follows. */
export const ECS_VERSION = '8.11.0'

/** An error (or pino's serialized form of one: type, message, stack, code) as ECS `error.*`. */
function ecsError (err: unknown): Record<string, unknown> {
  if (err === null || typeof err !== 'object') return { message: String(err) }
  const e = err as { name?: unknown, type?: unknown, message?: unknown, stack?: unknown, code?: unknown }
  const type = e instanceof Error ? e.name : e.type
  return {
    ...(typeof type === 'string' ? { type } : {}),
    message: typeof e.message === 'string' ? e.message : String(err),
    ...(typeof e.stack === 'string' ? { stack_trace: e.stack } : {}),
    ...(typeof e.code === 'string' ? { code: e.code } : {})
  }
}

export function createNodeLogger (format: LogFormat, level = process.env.P2PDV_LOG_LEVEL ?? 'info', destination: pino.DestinationStream = pino.destination(2)): Logger {
  if (format === 'json') return pino({ name: 'p2pdv-node', level }, destination)
  return pino({
    level,
    base: { 'ecs.version': ECS_VERSION, 'service.name': 'p2pdv-node', 'process.pid': process.pid, 'host.hostname': hostname() },
    messageKey: 'message',
    errorKey: 'error',
    timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
    formatters: {
      level: label => ({ 'log.level': label }),
      // The node logs errors as `err` (pino's convention); ECS names the field `error`.
      log: o => {
        if (!('err' in o)) return o
        const { err, ...rest } = o
        return { ...rest, error: err }
      }
    },
    serializers: { err: ecsError, error: ecsError }
  }, destination)
}
