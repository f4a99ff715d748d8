/** A binary min-heap of (time, id) events in typed arrays. */
export class EventQueue {
  private times: Float64Array
  private ids: Int32Array
  size = 0

  constructor (capacity = 1024) {
    this.times = new Float64Array(capacity)
    this.ids = new Int32Array(capacity)
  }

  push (time: number, id: number): void {
    if (this.size === this.times.length) {
      const t = new Float64Array(this.size * 2); t.set(this.times); this.times = t
      const i = new Int32Array(this.size * 2); i.set(this.ids); this.ids = i
    }
    let at = this.size++
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (this.times[parent]! <= time) break
      this.times[at] = this.times[parent]!
      this.ids[at] = this.ids[parent]!
      at = parent
    }
    this.times[at] = time
    this.ids[at] = id
  }

  peekTime (): number {
    return this.size === 0 ? Infinity : this.times[0]!
  }

  /** Removes the earliest event and returns its id. */
  pop (): number {
    const top = this.ids[0]!
    const last = --this.size
    const time = this.times[last]!
    const id = this.ids[last]!
    let at = 0
    while (true) {
      let child = 2 * at + 1
      if (child >= last) break
      if (child + 1 < last && this.times[child + 1]! < this.times[child]!) child++
      if (this.times[child]! >= time) break
      this.times[at] = this.times[child]!
      this.ids[at] = this.ids[child]!
      at = child
    }
    this.times[at] = time
    this.ids[at] = id
    return top
  }
}
