// Repair as a pure plan (placement/repair-plan.ts), property-tested: for random records, random
// observations and random candidates, repair never reduces the evidence a record holds.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { stripeShardSize } from '@p2pdv/core/erasure'
import {
  blockKey, decodePlacementRecord, encodePlacementRecord, MIN_PLACEMENT_SCORE, NEUTRAL_SCORE, nextPlacementRecord, planRepair, samePlacementStructure, signPlacementRecord,
  type BlockAt, type BlockPlacement, type Observation, type PlacementCandidate, type PlacementRecord, type RepairAction, type RepairObservations, type UnsignedPlacementRecord
} from '@p2pdv/core/placement'

const enc = new TextEncoder()
const cidOf = (label: string): CID => CID.createV1(0x55, createDigest(0x12, sha256(enc.encode(label))))
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
/** A syntactically valid peer id per index (the record's validator checks the alphabet). */
const peer = (i: number): string => `12D3KooW${BASE58[i % 58]!}${BASE58[Math.floor(i / 58) % 58]!}${'z'.repeat(42)}`
const SIGNER = ed25519.utils.randomSecretKey()
const SIGNER_PUB = ed25519.getPublicKey(SIGNER)
const BLOCK = 1000
const ZONES = ['a', 'b', 'c']

interface Case {
  record: PlacementRecord
  observations: Map<string, Map<string, Observation>>
  candidates: PlacementCandidate[]
  zones: Map<string, string>
  replicas: number
  /** For each planned placement, whether it succeeds (the worker's outcome). */
  succeeds: boolean[]
}

const holdersArb = (universe: number): fc.Arbitrary<number[]> => fc.uniqueArray(fc.integer({ min: 0, max: universe - 1 }), { maxLength: Math.min(4, universe) })

const caseArb: fc.Arbitrary<Case> = fc.record({
  universe: fc.integer({ min: 1, max: 12 }),
  scheme: fc.oneof(
    fc.record({ type: fc.constant('rs' as const), k: fc.integer({ min: 1, max: 5 }), m: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ type: fc.constant('replicas' as const), replicas: fc.integer({ min: 1, max: 4 }) })
  ),
  stripeCount: fc.integer({ min: 1, max: 3 }),
  lastData: fc.integer({ min: 1, max: 5 }),
  version: fc.integer({ min: 1, max: 1000 }),
  seed: fc.array(fc.nat(), { minLength: 400, maxLength: 400 }),
  replicas: fc.integer({ min: 1, max: 5 }),
  succeeds: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 })
}).chain(c => fc.record({
  c: fc.constant(c),
  holders: fc.array(holdersArb(c.universe), { minLength: 1 + c.stripeCount * 8, maxLength: 1 + c.stripeCount * 8 }),
  // Candidates: some of the record's nodes and some others (ids from `universe` up).
  candidateIds: fc.uniqueArray(fc.integer({ min: 0, max: c.universe + 5 }), { maxLength: c.universe + 6 }),
  candidateInfo: fc.array(fc.record({ zone: fc.option(fc.constantFrom(...ZONES), { nil: undefined }), free: fc.option(fc.constantFrom(0, BLOCK - 1, BLOCK, 10 * BLOCK), { nil: undefined }), score: fc.option(fc.constantFrom(0, MIN_PLACEMENT_SCORE / 2, NEUTRAL_SCORE, 1), { nil: undefined }) }), { minLength: 18, maxLength: 18 }),
  downZones: fc.array(fc.option(fc.constantFrom(...ZONES), { nil: undefined }), { minLength: 18, maxLength: 18 })
})).map(({ c, holders, candidateIds, candidateInfo, downZones }): Case => {
  let h = 0
  let s = 0
  const next = (): number => c.seed[s++ % c.seed.length]!
  const block = (label: string, size: number): BlockPlacement => ({ cid: cidOf(label), size, root: sha256(enc.encode(`root ${label}`)), nodes: (holders[h++] ?? []).map(peer) })
  const stripes = Array.from({ length: c.stripeCount }, (_, si) => {
    if (c.scheme.type === 'replicas') return { data: 1, blocks: [block(`${si}/0`, BLOCK)] }
    const data = si === c.stripeCount - 1 ? Math.min(c.lastData, c.scheme.k) : c.scheme.k
    const sizes = Array.from({ length: data }, () => BLOCK)
    const shard = stripeShardSize(sizes)
    return { data, blocks: [...sizes.map((size, j) => block(`${si}/${j}`, size)), ...Array.from({ length: c.scheme.m }, (_, j) => block(`${si}/p${j}`, shard))] }
  })
  const record: PlacementRecord = {
    v: 1, object: cidOf('object'), version: c.version, time: 1, scheme: c.scheme, manifest: block('manifest', 300), stripes,
    owner: SIGNER_PUB, signer: SIGNER_PUB, sig: new Uint8Array(64)
  }
  // Observations: present, absent, unknown, or none at all (which means unknown).
  const observations = new Map<string, Map<string, Observation>>()
  for (const { at, block: b } of blocksOf(record)) {
    const m = new Map<string, Observation>()
    for (const id of b.nodes) {
      const o = (['present', 'absent', 'unknown', undefined] as const)[next() % 4]
      if (o !== undefined) m.set(id, o)
    }
    observations.set(blockKey(at), m)
  }
  const candidates = candidateIds.map((i, j) => {
    const info = candidateInfo[j % candidateInfo.length]!
    return { peerId: peer(i), ...(info.zone === undefined ? {} : { zone: info.zone }), ...(info.free === undefined ? {} : { freeBytes: info.free }), ...(info.score === undefined ? {} : { score: info.score }) }
  })
  const zones = new Map<string, string>()
  for (let i = 0; i < c.universe; i++) { const z = downZones[i]; if (z !== undefined) zones.set(peer(i), z) }
  return { record, observations, candidates, zones, replicas: c.replicas, succeeds: c.succeeds }
})

function blocksOf (r: Pick<PlacementRecord, 'manifest' | 'stripes'>): Array<{ at: BlockAt, block: BlockPlacement }> {
  return [{ at: { stripe: -1, index: 0 }, block: r.manifest }, ...r.stripes.flatMap((s, stripe) => s.blocks.map((block, index) => ({ at: { stripe, index }, block })))]
}

const obs = (o: RepairObservations, at: BlockAt, h: string): Observation => o.get(blockKey(at))?.get(h) ?? 'unknown'

/** Blocks of each group (−1: the manifest) with a present holder, and what the group needs. */
function groupState (r: PlacementRecord, o: RepairObservations): Map<number, { present: number, need: number }> {
  const out = new Map<number, { present: number, need: number }>()
  for (const { at, block } of blocksOf(r)) {
    const g = out.get(at.stripe) ?? { present: 0, need: at.stripe < 0 ? 1 : r.stripes[at.stripe]!.data }
    if (block.nodes.some(h => obs(o, at, h) === 'present')) g.present++
    out.set(at.stripe, g)
  }
  return out
}

/** The placements a plan intends, by block key; `keep` filters them (the worker's outcome). */
function plannedPlacements (r: PlacementRecord, actions: RepairAction[], keep: (i: number) => boolean): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let i = 0
  for (const a of actions) {
    if (a.type === 'copy') {
      const got = a.targets.slice(0, a.count).filter(() => keep(i++))
      if (got.length > 0) out.set(blockKey(a.at), got)
    } else if (a.type === 'rebuild') {
      a.missing.forEach((index, j) => { const t = a.targets[j]; if (t !== undefined && keep(i++)) out.set(blockKey({ stripe: a.stripe, index }), [t]) })
    }
  }
  void r
  return out
}

/** Both records the worker may publish: the plan's, and the one after only some placements succeeded. */
function outcomes (c: Case): Array<{ next: UnsignedPlacementRecord | undefined, placed: Map<string, string[]>, actions: RepairAction[] }> {
  const plan = planRepair(c.record, c.observations, c.candidates, { replicas: c.replicas, now: 2, zones: c.zones })
  const all = plannedPlacements(c.record, plan.actions, () => true)
  const some = plannedPlacements(c.record, plan.actions, i => c.succeeds[i % c.succeeds.length]!)
  return [
    { next: plan.nextRecord, placed: all, actions: plan.actions },
    { next: nextPlacementRecord(c.record, c.observations, some, 2), placed: some, actions: plan.actions }
  ]
}

const RUNS = { numRuns: 300 }

describe('planRepair properties', () => {
  it('(1) never drops a holder that is present or unknown', () => {
    fc.assert(fc.property(caseArb, c => {
      for (const { next } of outcomes(c)) {
        const after = next ?? c.record
        blocksOf(c.record).forEach(({ at, block }, i) => {
          const kept = blocksOf(after)[i]!.block.nodes
          for (const h of block.nodes) if (obs(c.observations, at, h) !== 'absent') assert.ok(kept.includes(h), `${blockKey(at)} dropped ${h}`)
        })
      }
    }), RUNS)
  })

  it('(1b) drops an absent holder only when the block keeps a present holder or gains a placed copy', () => {
    fc.assert(fc.property(caseArb, c => {
      for (const { next, placed } of outcomes(c)) {
        if (next === undefined) continue
        blocksOf(c.record).forEach(({ at, block }, i) => {
          const kept = blocksOf(next)[i]!.block.nodes
          if (!block.nodes.some(h => !kept.includes(h))) return
          const backed = block.nodes.some(h => obs(c.observations, at, h) === 'present') || (placed.get(blockKey(at)) ?? []).some(h => kept.includes(h))
          assert.ok(backed, `${blockKey(at)} lost a holder without a copy elsewhere`)
        })
      }
    }), RUNS)
  })

  it('(2) a group with fewer blocks present than it needs is neither rewritten nor acted on', () => {
    fc.assert(fc.property(caseArb, c => {
      const state = groupState(c.record, c.observations)
      for (const { next, actions } of outcomes(c)) {
        for (const [stripe, { present, need }] of state) {
          if (present >= need) continue
          assert.ok(actions.some(a => a.type === 'defer' && a.stripe === stripe), `group ${stripe} is reported`)
          assert.ok(!actions.some(a => (a.type === 'rebuild' && a.stripe === stripe) || (a.type === 'copy' && a.at.stripe === stripe)), `group ${stripe} is left alone`)
          if (next === undefined) continue
          const before = stripe < 0 ? [c.record.manifest] : c.record.stripes[stripe]!.blocks
          const after = stripe < 0 ? [next.manifest] : next.stripes[stripe]!.blocks
          assert.deepEqual(after.map(b => b.nodes), before.map(b => b.nodes))
        }
        // A record where every group is short changes nothing at all: no new version.
        if ([...state.values()].every(g => g.present < g.need)) assert.equal(next, undefined)
      }
    }), RUNS)
  })

  it('(3) the next record keeps at least every (block, holder) pair that was not definitively absent', () => {
    fc.assert(fc.property(caseArb, c => {
      const pairs = (r: Pick<PlacementRecord, 'manifest' | 'stripes'>): number => blocksOf(r).reduce((a, b) => a + b.block.nodes.length, 0)
      const absent = blocksOf(c.record).reduce((a, { at, block }) => a + block.nodes.filter(h => obs(c.observations, at, h) === 'absent').length, 0)
      for (const { next } of outcomes(c)) assert.ok(pairs(next ?? c.record) >= pairs(c.record) - absent)
    }), RUNS)
  })

  it('(4) the version goes up by exactly 1 when, and only when, a holder list changes; the rest is the same record', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async c => {
      for (const { next, placed } of outcomes(c)) {
        const lists = (r: Pick<PlacementRecord, 'manifest' | 'stripes'>): string => JSON.stringify(blocksOf(r).map(b => b.block.nodes))
        if (next === undefined) {
          // Nothing changed: every placement was for a list it would not alter.
          assert.equal(nextPlacementRecord(c.record, c.observations, placed, 2), undefined)
          continue
        }
        assert.equal(next.version, c.record.version + 1)
        assert.notEqual(lists(next), lists(c.record))
        const signed = await signPlacementRecord(next, SIGNER_PUB, p => ed25519.sign(p, SIGNER))
        assert.ok(samePlacementStructure(c.record, signed))
        // What a peer would accept: it encodes, validates and verifies.
        assert.deepEqual(decodePlacementRecord(encodePlacementRecord(signed)).stripes.map(s => s.blocks.map(b => b.nodes)), signed.stripes.map(s => s.blocks.map(b => b.nodes)))
      }
    }), { numRuns: 100 })
  })

  it('(5) new homes never reuse a node the group still uses, are eligible candidates, and spread over zones while they can', () => {
    fc.assert(fc.property(caseArb, c => {
      const plan = planRepair(c.record, c.observations, c.candidates, { replicas: c.replicas, now: 2, zones: c.zones })
      const byId = new Map(c.candidates.map(x => [x.peerId, x]))
      // New homes planned earlier for a group count as in use by it for its later actions.
      const planned = new Map<number, string[]>()
      for (const a of plan.actions) {
        if (a.type === 'defer') continue
        const stripe = a.type === 'copy' ? a.at.stripe : a.stripe
        const blocks = blocksOf(c.record).filter(b => b.at.stripe === stripe)
        const using = new Set([...blocks.flatMap(b => b.block.nodes.filter(h => obs(c.observations, b.at, h) !== 'absent')), ...planned.get(stripe) ?? []])
        const n = a.type === 'copy' ? a.count : a.missing.length
        const chosen = a.targets.slice(0, n)
        planned.set(stripe, [...planned.get(stripe) ?? [], ...chosen])
        assert.equal(new Set(a.targets).size, a.targets.length, 'targets are distinct')
        // Every target has room for the largest block it may get (a stripe's last blocks can be larger).
        const size = a.type === 'copy' ? a.block.size : Math.max(...a.missing.map(i => blocks[i]!.block.size))
        for (const t of a.targets) {
          assert.ok(!using.has(t), `${t} already holds part of group ${stripe}`)
          const cand = byId.get(t)
          assert.ok(cand !== undefined, 'a target is a candidate')
          assert.ok((cand.score ?? NEUTRAL_SCORE) >= MIN_PLACEMENT_SCORE && (cand.freeBytes === undefined || cand.freeBytes >= size), 'a target is eligible')
        }
        // Zones: a chosen target repeats a zone in use only when too few fresh zones were left.
        const usedZones = new Set([...using].flatMap(id => { const known = byId.get(id); const z = known !== undefined ? known.zone : c.zones.get(id); return z === undefined ? [] : [z] }))
        const seen = new Set(usedZones)
        let repeats = false
        for (const t of chosen) {
          const z = byId.get(t)!.zone
          if (z === undefined) continue
          if (seen.has(z)) repeats = true
          seen.add(z)
        }
        if (repeats) {
          const eligible = c.candidates.filter(x => !using.has(x.peerId) && (x.score ?? NEUTRAL_SCORE) >= MIN_PLACEMENT_SCORE && (x.freeBytes === undefined || x.freeBytes >= size))
          const spreadable = eligible.filter(x => x.zone === undefined).length + new Set(eligible.flatMap(x => x.zone === undefined || usedZones.has(x.zone) ? [] : [x.zone])).size
          assert.ok(spreadable < n, 'a zone was reused while a fresh one was left')
        }
      }
    }), RUNS)
  })
})

describe('planRepair examples', () => {
  const base = (holders: string[][], data: number): PlacementRecord => ({
    v: 1, object: cidOf('object'), version: 3, time: 1, scheme: { type: 'rs', k: data, m: holders.length - data },
    manifest: { cid: cidOf('manifest'), size: 300, root: new Uint8Array(32), nodes: [peer(0), peer(1), peer(2)] },
    stripes: [{ data, blocks: holders.map((nodes, i) => ({ cid: cidOf(`b${i}`), size: 16, root: new Uint8Array(32), nodes })) }],
    owner: SIGNER_PUB, signer: SIGNER_PUB, sig: new Uint8Array(64)
  })
  const observe = (entries: Array<[BlockAt, string, Observation]>): Map<string, Map<string, Observation>> => {
    const out = new Map<string, Map<string, Observation>>()
    for (const [at, h, o] of entries) { const m = out.get(blockKey(at)) ?? new Map<string, Observation>(); m.set(h, o); out.set(blockKey(at), m) }
    return out
  }
  const M = { stripe: -1, index: 0 }

  it('the fault-injection run: 3 of 6 holders down under RS(4,2) leaves the record alone and reports the stripe at risk', () => {
    const record = base([0, 1, 2, 3, 4, 5].map(i => [peer(i)]), 4)
    const o = observe([[M, peer(0), 'present'], [M, peer(1), 'present'], [M, peer(2), 'present'], ...[0, 1, 2].map((i): [BlockAt, string, Observation] => [{ stripe: 0, index: i }, peer(i), 'present'])])
    const plan = planRepair(record, o, [0, 1, 2].map(i => ({ peerId: peer(i) })), { replicas: 3, now: 2 })
    assert.equal(plan.nextRecord, undefined)
    assert.deepEqual(plan.actions, [{ type: 'defer', stripe: 0, reason: 'at-risk', present: 3, need: 4 }])
  })

  it('a rebuilt block is listed beside its unreachable holder; an absent holder gives way to the new copy', () => {
    const record = base([0, 1, 2, 3, 4, 5].map(i => [peer(i)]), 4)
    const o = observe([
      [M, peer(0), 'present'], [M, peer(1), 'present'], [M, peer(2), 'present'],
      ...[0, 1, 2, 3].map((i): [BlockAt, string, Observation] => [{ stripe: 0, index: i }, peer(i), 'present']),
      [{ stripe: 0, index: 4 }, peer(4), 'unknown'], [{ stripe: 0, index: 5 }, peer(5), 'absent']
    ])
    const plan = planRepair(record, o, [0, 1, 2, 3, 6, 7].map(i => ({ peerId: peer(i) })), { replicas: 3, now: 2 })
    const rebuild = plan.actions.find(a => a.type === 'rebuild')
    assert.ok(rebuild !== undefined && rebuild.type === 'rebuild')
    assert.deepEqual(rebuild.missing, [4, 5])
    assert.ok(rebuild.targets.every(t => t === peer(6) || t === peer(7)))
    const next = plan.nextRecord!
    assert.equal(next.version, 4)
    assert.deepEqual(next.stripes[0]!.blocks[4]!.nodes, [peer(4), rebuild.targets[0]])
    assert.deepEqual(next.stripes[0]!.blocks[5]!.nodes, [rebuild.targets[1]])
    // If the copy of block 5 could not be placed, its absent holder stays: nothing else has it.
    const partial = nextPlacementRecord(record, o, new Map([[blockKey({ stripe: 0, index: 4 }), [rebuild.targets[0]!]]]), 2)!
    assert.deepEqual(partial.stripes[0]!.blocks[5]!.nodes, [peer(5)])
  })
  it('a degraded write (6 blocks of RS(4,2) on 3 nodes) gets a copy of each crowded block on a node of its own', () => {
    const record = base([0, 0, 1, 1, 2, 2].map(i => [peer(i)]), 4)
    const o = observe([
      [M, peer(0), 'present'], [M, peer(1), 'present'], [M, peer(2), 'present'],
      ...[0, 1, 2, 3, 4, 5].map((i): [BlockAt, string, Observation] => [{ stripe: 0, index: i }, peer(Math.floor(i / 2)), 'present'])
    ])
    const plan = planRepair(record, o, [0, 1, 2, 3, 4, 5].map(i => ({ peerId: peer(i) })), { replicas: 3, now: 2 })
    const copies = plan.actions.filter(a => a.type === 'copy' && a.at.stripe === 0)
    assert.equal(copies.length, 3, 'one block of each crowded pair moves')
    const targets = copies.flatMap(a => a.type === 'copy' ? a.targets : [])
    assert.deepEqual(new Set(targets), new Set([peer(3), peer(4), peer(5)]), 'to the three nodes the stripe did not use')
    const next = plan.nextRecord!
    assert.equal(next.version, record.version + 1)
    // Every block now has a node no other block of the stripe needs, and no holder was dropped.
    const nodes = next.stripes[0]!.blocks.map(b => b.nodes)
    nodes.forEach((n, i) => assert.ok(n.includes(peer(Math.floor(i / 2)))))
    const owners = new Set(nodes.map(n => n[n.length - 1]))
    assert.equal(owners.size, 6)
    // Once spread, the next pass has nothing to do for the stripe.
    const again = observe([
      [M, peer(0), 'present'], [M, peer(1), 'present'], [M, peer(2), 'present'],
      ...nodes.flatMap((n, i) => n.map((h): [BlockAt, string, Observation] => [{ stripe: 0, index: i }, h, 'present']))
    ])
    // A degraded write's mark goes once the holder lists meet the scheme, and only then.
    assert.equal(planRepair({ ...record, degraded: { need: 6, found: 3 } }, o, [0, 1, 2, 3, 4, 5].map(i => ({ peerId: peer(i) })), { replicas: 3, now: 2 }).nextRecord!.degraded, undefined)
    const partly = nextPlacementRecord({ ...record, degraded: { need: 6, found: 3 } }, o, new Map([[blockKey(copies[0]!.type === 'copy' ? copies[0]!.at : M), [peer(3)]]]), 2)!
    assert.deepEqual(partly.degraded, { need: 6, found: 3 })
    const spread = { ...record, version: next.version, stripes: next.stripes }
    assert.deepEqual(planRepair(spread, again, [0, 1, 2, 3, 4, 5].map(i => ({ peerId: peer(i) })), { replicas: 3, now: 3 }).actions, [])
  })
})
