/**
 * The workload: users' commands through the real CLI, `lanes` at a time (the issue's run: two).
 * Each step is a put of a seeded random file (log-uniform size, so small and large files both
 * come often), a get of an acknowledged object (bytes hashed and compared by the checker), or a
 * check. A get that fails must fail with a typed error and leave no `.part` file behind.
 */
import { createCipheriv, createHash } from 'node:crypto'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { runCli, type CliEnd } from './cli.ts'
import type { History, OpKind, Outcome } from './history.ts'
import type { Prng } from './prng.ts'

export interface WorkloadOptions {
  /** Directory for the files put and read (emptied as it goes). */
  dir: string
  env: NodeJS.ProcessEnv
  lanes: number
  minBytes: number
  maxBytes: number
  /** CLI flags for the redundancy every put asks for, and how the put's result must read. */
  redundancy: { args: string[], wanted: string }
  /** A CLI command still running after this long counts as hung (a crash). */
  commandTimeoutMs: number
  /** Relative weights of put, get and check (the run: ~1 put to 4 gets). */
  mix: { put: number, get: number, check: number }
}

export interface Acked { object: string, capability: string, sha256: string }

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** Seeded bytes at memory speed: AES-256-CTR's keystream under a key from the PRNG. */
export function seededBytes (prng: Prng, size: number): Buffer {
  const key = Buffer.alloc(32)
  const iv = Buffer.alloc(16)
  for (let i = 0; i < 32; i += 4) key.writeUInt32LE(prng.int(0, 0xffffffff), i)
  for (let i = 0; i < 16; i += 4) iv.writeUInt32LE(prng.int(0, 0xffffffff), i)
  return createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(size))
}

function outcomeOf (end: CliEnd, ok: (json: Record<string, unknown>) => Outcome): Outcome {
  if (end.type === 'ok') return ok(end.json as Record<string, unknown>)
  if (end.type === 'error') return { type: 'error', code: end.code }
  return { type: 'crash', reason: end.reason }
}

async function leftoverParts (dir: string): Promise<string[]> {
  return (await readdir(dir)).filter(f => f.endsWith('.part'))
}

export class Workload {
  readonly acked: Acked[] = []
  private readonly opts: WorkloadOptions
  private readonly history: History
  private readonly prng: Prng
  private stopping = false

  constructor (opts: WorkloadOptions, history: History, prng: Prng) {
    this.opts = opts
    this.history = history
    this.prng = prng
  }

  /** Runs until stop() (lanes finish the command they are in). */
  async run (): Promise<void> {
    await Promise.all(Array.from({ length: this.opts.lanes }, async () => {
      while (!this.stopping) await this.step()
    }))
  }

  stop (): void { this.stopping = true }

  private async step (): Promise<void> {
    const { put, get, check } = this.opts.mix
    const r = this.prng.next() * (put + get + check)
    if (this.acked.length === 0 || r < put) await this.put()
    else if (r < put + get) await this.get('get', this.prng.pick(this.acked))
    else await this.check('check', this.prng.pick(this.acked))
  }

  private async timed (op: OpKind, object: string, run: () => Promise<Outcome>, wanted?: string): Promise<Outcome> {
    const id = this.history.opId()
    const start = Date.now()
    const outcome = await run()
    this.history.add({ kind: 'op', id, op, object, ...(wanted === undefined ? {} : { wanted }), start, end: Date.now(), outcome })
    return outcome
  }

  async put (): Promise<void> {
    // Log-uniform between min and max.
    const { minBytes, maxBytes } = this.opts
    const size = Math.round(Math.exp(Math.log(minBytes) + this.prng.next() * (Math.log(maxBytes) - Math.log(minBytes))))
    const bytes = seededBytes(this.prng, size)
    const digest = sha256(bytes)
    const file = join(this.opts.dir, `put-${digest.slice(0, 16)}.bin`)
    await writeFile(file, bytes)
    const outcome = await this.timed('put', digest, async () => {
      const end = await runCli(['put', file, ...this.opts.redundancy.args], { env: this.opts.env, timeoutMs: this.opts.commandTimeoutMs })
      return outcomeOf(end, json => ({
        type: 'ok',
        sha256: digest,
        size,
        capability: String(json.capability),
        detail: { scheme: json.scheme, k: json.k, m: json.m, replicas: json.replicas, nodes: Array.isArray(json.nodes) ? json.nodes.length : undefined, note: json.note }
      }))
    }, this.opts.redundancy.wanted)
    await rm(file, { force: true })
    if (outcome.type === 'ok' && outcome.capability !== undefined) {
      this.acked.push({ object: objectOf(outcome.capability), capability: outcome.capability, sha256: digest })
    }
  }

  async get (op: 'get' | 'final-get', target: Acked): Promise<Outcome> {
    const out = join(this.opts.dir, `get-${this.history.opId()}.out`)
    return await this.timed(op, target.object, async () => {
      const end = await runCli(['get', target.capability, '-o', out], { env: this.opts.env, timeoutMs: this.opts.commandTimeoutMs })
      const parts = await leftoverParts(this.opts.dir)
      let outcome: Outcome
      if (end.type === 'ok') {
        const bytes = await readFile(out).catch(() => undefined)
        outcome = bytes === undefined ? { type: 'crash', reason: 'reported success but wrote no file' } : { type: 'ok', sha256: sha256(bytes), size: bytes.byteLength }
      } else {
        outcome = outcomeOf(end, () => ({ type: 'ok' }))
      }
      // Another lane's get may be writing its own .part right now: only this run's count.
      const mine = parts.filter(p => p.startsWith(`.${basename(out)}.`))
      if (mine.length > 0) {
        for (const p of mine) await rm(join(this.opts.dir, p), { force: true })
        if (outcome.type !== 'crash') outcome = { type: 'crash', reason: `left ${mine.length} .part file(s) behind (${outcome.type === 'error' ? outcome.code : 'ok'})` }
      }
      await rm(out, { force: true })
      return outcome
    })
  }

  /** `p2pdv check --json`; exit 1 (lost) and 3 (unknown) still print the report. */
  async check (op: 'check' | 'final-check', target: Acked): Promise<{ outcome: Outcome, report?: Record<string, unknown> }> {
    let report: Record<string, unknown> | undefined
    const outcome = await this.timed(op, target.object, async () => {
      const end = await runCli(['check', target.capability], { env: this.opts.env, timeoutMs: this.opts.commandTimeoutMs, resultCodes: [1, 3] })
      return outcomeOf(end, json => {
        report = json
        return { type: 'ok', healthy: json.healthy === true, detail: { lost: json.lost, degraded: json.degraded, unknown: json.unknown, placementVersion: json.placementVersion } }
      })
    })
    return { outcome, ...(report === undefined ? {} : { report }) }
  }
}

export function objectOf (capability: string): string {
  return capability.slice('p2pdv://'.length).split('#')[0]!
}
