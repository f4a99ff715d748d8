/**
 * One error type for the whole project. Every failure a user or a program can meet carries a
 * stable `code` (match on it, never on the message), a one-line summary, and a `hint` that says
 * what to do next. Messages never contain keys, capabilities or other secrets.
 */
export interface P2pdvErrorOptions {
  /** What the user can do about it, shown under the message. */
  hint?: string
  /** Machine-readable details safe to log (no secrets). */
  details?: Record<string, unknown>
  cause?: unknown
}

export class P2pdvError extends Error {
  override name = 'P2pdvError'
  readonly code: string
  readonly hint: string | undefined
  readonly details: Record<string, unknown> | undefined

  constructor (code: string, message: string, options: P2pdvErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.hint = options.hint
    this.details = options.details
  }

  /** A plain object for `--json` output and HTTP error bodies. */
  toJSON (): { code: string, message: string, hint?: string, details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details })
    }
  }
}

export function isP2pdvError (err: unknown, code?: string): err is P2pdvError {
  return err instanceof P2pdvError && (code === undefined || err.code === code)
}
