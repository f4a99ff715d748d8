/**
 * Garbage-collector tuning for a node process. Most of a node's allocation is block bytes passing
 * through: each socket read is a fresh buffer, memory outside V8's heap. By default V8 starts a
 * full collection of the whole heap (libp2p, DHT, fastify, …) each time such external memory has
 * grown by about 64 MiB: during a 256 MiB put on the 3-node devnet, 9 to 14 of them per node, about
 * 0.4 s of a node's 2.3 s of CPU. Counting external memory in V8's global limit instead lets these
 * short-lived buffers go in the collections the heap needs anyway. Measured on the devnet (256 MiB
 * put, 3 replicas, 4 runs each, the first put after start left out): CPU per node 1.45-2.45 s ->
 * 1.10-1.95 s, put wall time 4.8-5.5 s -> 4.1-4.3 s, node RSS after the runs 243-351 MiB ->
 * 275-344 MiB.
 *
 * Not for the client: there the same flag let a get's peak RSS grow (322 -> 393-462 MiB) with no
 * gain in time, and the client's peak RSS must not depend on the file size.
 */
import { setFlagsFromString } from 'node:v8'

/**
 * How far the heap (with those buffers) may grow past what the last full collection kept before the
 * next one starts: 100% (V8 otherwise picks a factor from its GC speed, which for a node lands
 * low). Measured on the devnet (256 MiB put, 3 replicas, 4 runs after a warm-up, per setting):
 * CPU per node 1.04-1.77 s with V8's choice (two rounds), 1.23-1.65 s at 50%, 1.05-1.34 s at
 * 100%, 1.00-1.24 s at 200% (two rounds); put wall time 3.02-3.76, 3.30-3.73, 2.90-3.27 and
 * 2.84-3.21 s. Peak node RSS: 401-403 MiB, 460, 525, 526: the cost is a fixed ~120 MiB, the
 * same after one put or five, so 100% takes most of the gain for it.
 */
export const HEAP_GROWING_PERCENT = 100

export function tuneGcForBlockTraffic (): void {
  setFlagsFromString('--external-memory-accounted-in-global-limit')
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}
