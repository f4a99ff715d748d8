/**
 * When an object becomes hot and when it is cold again, with hysteresis so an object near the
 * threshold does not flap: hot at `hotThreshold` weighted requests per window; cold only once its
 * demand has stayed below `coldThreshold` for `coldAfterMs`. At most `maxHotObjects` at once (the
 * most demanded first), which with the receivers' disk share bounds what one node can spread.
 */

export interface HotPolicyConfig {
  hotThreshold: number
  coldThreshold: number
  coldAfterMs: number
  maxHotObjects: number
}

export interface HotSteps {
  /** Objects to spread now, most demanded first. */
  start: string[]
  /** Hot objects cold for long enough: their copies go. */
  stop: string[]
}

export class HotPolicy {
  private readonly cfg: HotPolicyConfig
  /** Hot objects, and since when each has been below the cold threshold. */
  private readonly hot = new Map<string, { coldSince: number | undefined }>()

  constructor (cfg: HotPolicyConfig) {
    if (cfg.coldThreshold > cfg.hotThreshold) throw new RangeError('the cold threshold must not exceed the hot threshold')
    this.cfg = cfg
  }

  get hotObjects (): string[] { return [...this.hot.keys()] }

  isHot (object: string): boolean { return this.hot.has(object) }

  /** `top`: the most demanded objects (DemandTracker.top); `demand`: any object's current demand. */
  step (top: ReadonlyArray<{ object: string, demand: number }>, demand: (object: string) => number, now: number): HotSteps {
    const stop: string[] = []
    for (const [object, s] of this.hot) {
      if (demand(object) >= this.cfg.coldThreshold) { s.coldSince = undefined; continue }
      s.coldSince ??= now
      if (now - s.coldSince >= this.cfg.coldAfterMs) stop.push(object)
    }
    const room = this.cfg.maxHotObjects - (this.hot.size - stop.length)
    const start = top.filter(t => t.demand >= this.cfg.hotThreshold && !this.hot.has(t.object))
      .sort((a, b) => b.demand - a.demand).slice(0, Math.max(0, room)).map(t => t.object)
    return { start, stop }
  }

  /** The object's copies were placed. */
  markHot (object: string): void { this.hot.set(object, { coldSince: undefined }) }

  /** The object's copies were dropped. */
  markCold (object: string): void { this.hot.delete(object) }
}
