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

export function tuneGcForBlockTraffic (): void {
  setFlagsFromString('--external-memory-accounted-in-global-limit')
}
