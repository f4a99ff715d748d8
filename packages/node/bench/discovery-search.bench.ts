// Search latency of the discovery index: FTS5 (what GET /api/v1/videos runs), best first and
// newest first, against a plain LIKE scan of the same table (newest first, stopping at a page),
// over 10,000 synthetic listings, same queries, same run; and for words no listing has.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { printTable } from '../../../scripts/bench-util.ts'
import { DiscoveryStore } from '../src/discovery/index-store.ts'
import { parseVideoQuery } from '../src/discovery/query.ts'

const LISTINGS = 10_000
const QUERIES = 300
const VOCABULARY = 3_000

// A fixed pseudo-random sequence, so runs compare.
let seed = 42
const rand = (n: number): number => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed % n }
const syllables = ['ka', 'lo', 'mi', 'ra', 'te', 'su', 'no', 'vi', 'de', 'po', 'lan', 'tor', 'bel', 'qui', 'sha', 'mar']
const words = Array.from({ length: VOCABULARY }, (_, i) => syllables[i % 16]! + syllables[Math.floor(i / 16) % 16]! + syllables[Math.floor(i / 256) % 16]!)
const phrase = (n: number): string => Array.from({ length: n }, () => words[rand(words.length)]!).join(' ')

function percentile (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}

const dir = await mkdtemp(join(tmpdir(), 'p2pdv-bench-discovery-'))
const store = new DiscoveryStore(join(dir, 'discovery.sqlite'))
try {
  const t0 = performance.now()
  for (let i = 0; i < LISTINGS; i++) {
    store.upsert({
      id: `0x${i.toString(16).padStart(64, '0')}`,
      owner: `0x${'ab'.repeat(20)}`,
      listingCid: 'bafkrei', manifestCid: 'bafkrei', policy: 'public', rating: 0,
      registeredAt: 1_700_000_000 + i,
      title: phrase(6), description: phrase(60), tags: [words[rand(words.length)]!, words[rand(words.length)]!],
      durationSeconds: 60, createdAt: i, updatedAt: i
    })
  }
  const indexSeconds = (performance.now() - t0) / 1000
  const queries = Array.from({ length: QUERIES }, () => rand(2) === 0 ? [words[rand(words.length)]!] : [words[rand(words.length)]!, words[rand(words.length)]!])
  // Words no listing has: the worst case for a scan, which cannot stop early.
  const misses = Array.from({ length: QUERIES / 3 }, (_, i) => [`zq${i}x${words[rand(words.length)]!}`])
  const time = (qs: string[][], run: (q: string[]) => number): { ms: number[], hits: number } => {
    const ms: number[] = []
    let hits = 0
    for (const q of qs) {
      const t = performance.now()
      hits += run(q)
      ms.push(performance.now() - t)
    }
    return { ms, hits }
  }
  const fts = (sort: string) => (q: string[]): number => store.search(parseVideoQuery({ q: q.join(' '), sort })).videos.length
  const like = (q: string[]): number => store.searchLike(q, 24).length
  const relevance = time(queries, fts('relevance'))
  const latest = time(queries, fts('latest'))
  const scan = time(queries, like)
  const missFts = time(misses, fts('relevance'))
  const missLike = time(misses, like)
  printTable(`discovery search, ${LISTINGS} listings (indexed in ${indexSeconds.toFixed(1)} s), ${QUERIES} queries of 1–2 words, ${(relevance.hits / QUERIES).toFixed(1)} results each on average`, [
    { name: 'FTS5 best first p50', value: percentile(relevance.ms, 0.5), baselineName: 'LIKE p50', baseline: percentile(scan.ms, 0.5), unit: 'ms', better: 'lower' },
    { name: 'FTS5 best first p99', value: percentile(relevance.ms, 0.99), baselineName: 'LIKE p99', baseline: percentile(scan.ms, 0.99), unit: 'ms', better: 'lower' },
    { name: 'FTS5 newest first p50', value: percentile(latest.ms, 0.5), baselineName: 'LIKE p50', baseline: percentile(scan.ms, 0.5), unit: 'ms', better: 'lower' },
    { name: 'FTS5 newest first p99', value: percentile(latest.ms, 0.99), baselineName: 'LIKE p99', baseline: percentile(scan.ms, 0.99), unit: 'ms', better: 'lower' },
    { name: `FTS5, no match (${misses.length}) p50`, value: percentile(missFts.ms, 0.5), baselineName: 'LIKE p50', baseline: percentile(missLike.ms, 0.5), unit: 'ms', better: 'lower' }
  ])
} finally {
  store.close()
  await rm(dir, { recursive: true, force: true })
}
