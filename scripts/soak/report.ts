/** Renders a soak run's verdict as text (for people) or JSON (for scripts). */
import type { SoakResult } from './run.ts'

const list = <T>(items: T[], show: (item: T) => string, max = 10): string[] =>
  [...items.slice(0, max).map(i => `    ${show(i)}`), ...(items.length > max ? [`    … and ${items.length - max} more`] : [])]

/** Each node's RSS (MiB) every `everyS` seconds: a compact curve. */
function memoryLines (r: SoakResult, everyS = 60): string[] {
  return Object.entries(r.verdict.memory).map(([node, samples]) => {
    const points: string[] = []
    let nextT = 0
    for (const s of samples) {
      if (s.t < nextT) continue
      points.push(`${Math.round(s.t / 60)}m:${s.rssMiB}${s.heapMiB === undefined ? '' : `/${s.heapMiB}`}`)
      nextT = s.t + everyS
    }
    const rss = samples.map(s => s.rssMiB)
    return `  ${node}  min ${Math.min(...rss)} max ${Math.max(...rss)} last ${rss.at(-1) ?? 0} MiB  [${points.join(' ')}]`
  })
}

export function renderText (r: SoakResult): string {
  const v = r.verdict
  const ops = Object.entries(v.operations).map(([op, c]) => `${op} ${c.ok + c.error + c.crash} (ok ${c.ok}, typed errors ${c.error}, crashes ${c.crash})`)
  const codes = Object.entries(v.failuresByCode).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`)
  return [
    `soak run: seed ${r.options.seed}, ${r.options.minutes} min of load on ${r.options.nodes} nodes, ${Math.round(r.seconds)} s in all`,
    `nemesis: ${Object.entries(v.nemesis).map(([a, n]) => `${a} ${n}`).join(', ') || 'nothing'}`,
    `operations: ${ops.join('; ')}`,
    `failures by code: ${codes.join(', ') || 'none'}`,
    `crashes (no typed error, or .part left): ${v.crashes.length}`,
    ...list(v.crashes, c => `#${c.id} ${c.op}: ${c.reason}`),
    `acknowledged writes: ${v.acknowledgedWrites}; LOST: ${v.lostWrites.length}`,
    ...list(v.lostWrites, l => `#${l.id} ${l.object}: ${l.why}`),
    `reads that returned wrong bytes: ${v.wrongReads.length}`,
    `acknowledged writes with less redundancy than asked: ${v.degradedWrites.length}`,
    ...list(v.degradedWrites, d => `#${d.id} asked ${d.wanted}, got ${d.got}`),
    `objects under-replicated at the end (after repair): ${v.underReplicated.length}`,
    ...list(v.underReplicated, u => `${u.object}: ${u.why}`),
    `check vs disk disagreements: ${v.checkVsDisk.length}`,
    ...list(v.checkVsDisk, f => `${f.object} ${f.block} on ${f.node}: ${f.claim}`),
    `records listing a holder without the block: ${v.phantomHolders.length}`,
    ...list(v.phantomHolders, f => `${f.object} ${f.block} on ${f.node}`),
    `records that lost a live holder (block on its disk, not listed): ${v.droppedHolders.length}`,
    ...list(v.droppedHolders, f => `${f.object} ${f.block} on ${f.node}`),
    'node RSS, MiB (min, max, last; curve as minute:RSS/V8 heap used):',
    ...memoryLines(r),
    ...(Object.keys(r.verdict.liveHeap).length === 0
      ? []
      : ['live V8 heap after a forced full GC, MiB (before the load -> at the end):',
          ...Object.entries(r.verdict.liveHeap).map(([node, h]) => `  ${node}  ${h.startMiB ?? '?'} -> ${h.endMiB ?? '?'}`)]),
    r.violations.length === 0 ? 'verdict: every invariant held' : `verdict: VIOLATED ${r.violations.join(', ')}`,
    `history: ${r.dir}/history.jsonl`
  ].join('\n')
}

export function renderJson (r: SoakResult): string {
  return JSON.stringify({ seed: r.options.seed, minutes: r.options.minutes, nodes: r.options.nodes, seconds: r.seconds, dir: r.dir, violations: r.violations, ...r.verdict })
}
