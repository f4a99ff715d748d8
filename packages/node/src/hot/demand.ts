/**
 * Demand per object: how many block GETs this node served for each object it keeps a placement
 * record for, over a sliding window. Two fixed windows, the previous one weighted by how much of
 * it still overlaps the sliding one (the usual sliding-window counter): O(1) per request.
 *
 * Hostile-input bounds:
 * - keys are objects this node keeps placement records for (the caller maps CID → object), never
 *   a string a client chose, and at most `maxObjects` are tracked (the least demanded is dropped);
 * - one client (an IP address, an IPv6 /64) counts at most `perClientCap` requests per object and
 *   window, so a single client cannot make an object hot however fast it asks;
 * - at most `maxClientsPerObject` clients are counted per object and window; more add nothing
 *   (the object is well past any threshold by then).
 */

export interface DemandOptions {
  windowMs: number
  perClientCap: number
  maxObjects?: number
  maxClientsPerObject?: number
  now?: () => number
}

export const DEFAULT_MAX_DEMAND_OBJECTS = 1024
export const DEFAULT_MAX_CLIENTS_PER_OBJECT = 256

interface Entry {
  /** This window's counted requests per client (each capped). */
  clients: Map<string, number>
  current: number
  previous: number
}

export interface DemandStats {
  objects: number
  /** Requests not counted: the client had reached its cap, or the object its client limit. */
  capped: number
}

export class DemandTracker {
  private readonly opts: Required<Omit<DemandOptions, 'now'>>
  private readonly now: () => number
  private readonly entries = new Map<string, Entry>()
  private windowStart: number
  readonly stats: DemandStats = { objects: 0, capped: 0 }

  constructor (opts: DemandOptions) {
    this.opts = { maxObjects: DEFAULT_MAX_DEMAND_OBJECTS, maxClientsPerObject: DEFAULT_MAX_CLIENTS_PER_OBJECT, ...opts }
    this.now = opts.now ?? Date.now
    this.windowStart = this.now()
  }

  /** Counts one request for `object` from `client`. */
  record (object: string, client: string): void {
    this.roll()
    let e = this.entries.get(object)
    if (e === undefined) {
      if (this.entries.size >= this.opts.maxObjects) this.dropLeast()
      e = { clients: new Map(), current: 0, previous: 0 }
      this.entries.set(object, e)
      this.stats.objects = this.entries.size
    }
    const had = e.clients.get(client)
    if (had === undefined && e.clients.size >= this.opts.maxClientsPerObject) { this.stats.capped++; return }
    if ((had ?? 0) >= this.opts.perClientCap) { this.stats.capped++; return }
    e.clients.set(client, (had ?? 0) + 1)
    e.current++
  }

  /** Weighted requests over the last window. */
  demand (object: string): number {
    this.roll()
    const e = this.entries.get(object)
    return e === undefined ? 0 : this.weigh(e)
  }

  /** The most demanded objects, highest first. */
  top (n: number): Array<{ object: string, demand: number }> {
    this.roll()
    return [...this.entries].map(([object, e]) => ({ object, demand: this.weigh(e) })).sort((a, b) => b.demand - a.demand).slice(0, n)
  }

  private weigh (e: Entry): number {
    const overlap = 1 - Math.min(1, (this.now() - this.windowStart) / this.opts.windowMs)
    return e.current + e.previous * overlap
  }

  /** Starts a new window when the current one is over (two or more over: nothing carries). */
  private roll (): void {
    const now = this.now()
    const elapsed = now - this.windowStart
    if (elapsed < this.opts.windowMs) return
    const skipped = elapsed >= 2 * this.opts.windowMs
    for (const [object, e] of this.entries) {
      e.previous = skipped ? 0 : e.current
      e.current = 0
      e.clients.clear()
      if (e.previous === 0) this.entries.delete(object)
    }
    this.windowStart = skipped ? now : this.windowStart + this.opts.windowMs
    this.stats.objects = this.entries.size
  }

  private dropLeast (): void {
    let least: string | undefined
    let min = Infinity
    for (const [object, e] of this.entries) {
      const d = this.weigh(e)
      if (d < min) { min = d; least = object }
    }
    if (least !== undefined) this.entries.delete(least)
  }
}

/** The client key of a remote address: IPv4 as is, IPv6 by its /64 (one host gets a whole /64). */
export function clientKey (address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown'
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)
  if (v4 !== null) return v4[1]!
  if (!address.includes(':')) return address.slice(0, 64)
  const [head = '', tail = ''] = address.split('::', 2)
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left
  return groups.slice(0, 4).map(g => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':') + '::/64'
}
