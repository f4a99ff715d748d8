/**
 * The CLI's single output layer. Results go to stdout (human text, or one JSON document with
 * `--json`); progress and diagnostics go to stderr, so `p2pdv put f --json | jq` stays clean.
 * Progress bars are drawn only on a terminal and never in JSON mode.
 */
import { P2pdvError } from '@p2pdv/core/errors'
import { hintOf } from '@p2pdv/core/error-catalog'
import { formatBytes, formatDuration, formatRate } from './format.ts'

export interface OutputOptions {
  json: boolean
  stdout?: NodeJS.WriteStream | NodeJS.WritableStream
  stderr?: NodeJS.WriteStream | NodeJS.WritableStream
}

export interface ProgressUpdate {
  done: number
  total?: number | undefined
  /** Replaces the byte figures after the bar (e.g. "1.9× realtime"). */
  detail?: string
}

export class Output {
  readonly json: boolean
  private readonly stdout: NodeJS.WritableStream
  private readonly stderr: NodeJS.WritableStream
  private readonly tty: boolean

  constructor (options: OutputOptions) {
    this.json = options.json
    this.stdout = options.stdout ?? process.stdout
    this.stderr = options.stderr ?? process.stderr
    this.tty = !this.json && (this.stderr as NodeJS.WriteStream).isTTY === true
  }

  /** A line of human text on stdout (suppressed in JSON mode). */
  line (text = ''): void {
    if (!this.json) this.stdout.write(text + '\n')
  }

  /** A status note on stderr (suppressed in JSON mode). */
  note (text: string): void {
    if (!this.json) this.stderr.write(text + '\n')
  }

  /** The command's result: JSON document, or the human rendering. */
  result (value: unknown, human: () => string): void {
    if (this.json) this.stdout.write(JSON.stringify(value, jsonReplacer) + '\n')
    else this.stdout.write(human() + '\n')
  }

  error (err: unknown): void {
    const e = toP2pdvError(err)
    if (this.json) {
      this.stdout.write(JSON.stringify({ error: e.toJSON() }) + '\n')
      return
    }
    this.stderr.write(`error: ${e.message} [${e.code}]\n`)
    // An error thrown without a hint of its own shows the catalog's (docs/errors.md).
    const hint = e.hint ?? hintOf(e.code)
    if (hint !== undefined) this.stderr.write(`  hint: ${hint}\n`)
  }

  /** A byte-progress bar with throughput and ETA, redrawn at most 10 times a second. */
  progress (label: string): ProgressBar {
    return new ProgressBar(label, this.tty ? this.stderr : undefined)
  }
}

export class ProgressBar {
  private readonly started = performance.now()
  private lastDraw = 0
  private last: ProgressUpdate = { done: 0 }
  private readonly label: string
  private readonly stream: NodeJS.WritableStream | undefined

  constructor (label: string, stream: NodeJS.WritableStream | undefined) {
    this.label = label
    this.stream = stream
  }

  update (u: ProgressUpdate): void {
    this.last = u
    const now = performance.now()
    if (now - this.lastDraw < 100 && u.done !== u.total) return
    this.lastDraw = now
    this.draw()
  }

  finish (): { seconds: number, bytesPerSecond: number } {
    const seconds = (performance.now() - this.started) / 1000
    if (this.stream !== undefined) { this.draw(); this.stream.write('\n') }
    return { seconds, bytesPerSecond: this.last.done / Math.max(seconds, 1e-6) }
  }

  private draw (): void {
    if (this.stream === undefined) return
    const { done, total } = this.last
    const seconds = (performance.now() - this.started) / 1000
    const rate = done / Math.max(seconds, 1e-6)
    let bar = ''
    let tail = `${formatBytes(done)}  ${formatRate(rate)}`
    if (total !== undefined && total > 0) {
      const frac = Math.min(1, done / total)
      const width = 24
      const filled = Math.round(frac * width)
      bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% `
      const eta = `ETA ${formatDuration(frac > 0 ? seconds * (1 - frac) / frac : NaN)}`
      tail = this.last.detail === undefined
        ? `${formatBytes(done)} / ${formatBytes(total)}  ${formatRate(rate)}  ${eta}`
        : `${this.last.detail}  ${eta}`
    } else if (this.last.detail !== undefined) {
      tail = `${this.last.detail}  ${tail}`
    }
    this.stream.write(`\r\x1b[2K${this.label} ${bar}${tail}`)
  }
}

export function toP2pdvError (err: unknown): P2pdvError {
  if (err instanceof P2pdvError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new P2pdvError('ERR_UNEXPECTED', message, {
    hint: 'This is a bug or an environment problem; run again with P2PDV_DEBUG=1 for the stack trace.',
    cause: err
  })
}

export function jsonReplacer (_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (typeof value === 'bigint') return value.toString()
  if (value !== null && typeof value === 'object' && 'toString' in value && (value as { asCID?: unknown }).asCID === value) return String(value)
  return value
}
