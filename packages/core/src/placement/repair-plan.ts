/**
 * Repair as a pure plan: from a placement record, what the repairer observed about each
 * (block, holder) pair and the nodes it may place on, what to copy or rebuild and which record
 * to publish next. No I/O: the node's repair worker gathers the observations and carries the
 * actions out (packages/node/src/repair.ts).
 *
 * Unreachable is not lost. The rules, each kept by a property test (core/test/repair-plan.test.ts):
 * - A holder leaves a block's list only when it answered `absent` (a live node that is who it
 *   claims said 404 or showed the wrong size) and the block keeps or gains a copy elsewhere (a
 *   holder that answered `present`, or a copy placed now). A holder that is down, timed out or
 *   could not be found is `unknown` and stays listed: the evidence in the record never shrinks.
 * - A group (a stripe, a replicated block, the manifest) with fewer blocks present than it needs
 *   to be read is not touched at all: no copies, no drops, no new version. It is reported once
 *   as `at-risk` (unknown holders may come back) or `lost` (every other holder said absent).
 * - A block of a readable stripe with no present holder is rebuilt onto a new node, listed beside
 *   its unknown holders; a replicated block (or the manifest) with fewer present holders than
 *   `replicas` gets copies. New homes never reuse a node (or, while others are left, a zone) the
 *   group still uses; an `absent` node may take its own block back.
- A block of a stripe that shares its only node with another block of the stripe (a degraded
  write) gets a copy on a node the stripe does not use, so every block ends on a node of its own.
 * - The next record is the current one plus one version only when some holder list changed.
 */
import { chooseStripeNodes, type PlacementCandidate } from './choose.ts'
import { placementShortfall, stripeSpread } from './shortfall.ts'
import { MAX_HOLDERS_PER_BLOCK, type BlockPlacement, type PlacementRecord, type PlacementScheme, type UnsignedPlacementRecord } from './record.ts'

/** What a repairer learned about one holder of one block. */
export type Observation = 'present' | 'absent' | 'unknown'

/** A block's position: stripe −1 is the manifest. */
export interface BlockAt { stripe: number, index: number }

export function blockKey (at: BlockAt): string {
  return `${at.stripe}/${at.index}`
}

/**
 * Observations by `blockKey`, then by holder. A pair that is not in the map is `unknown` (the
 * safe default: nothing is dropped for want of an answer).
 */
export type RepairObservations = ReadonlyMap<string, ReadonlyMap<string, Observation>>

export interface RepairPlanParams {
  /** Present copies a replicated block and the manifest should have (`targetReplicas`). */
  replicas: number
  /** The signer's clock, for the next record's `time`. */
  now: number
  /** Zones of nodes that are not candidates (down holders), so new homes avoid their zones too. */
  zones?: ReadonlyMap<string, string>
}

/** Copies the scheme wants of a replicated block: m + 1 for an erasure-coded object's manifest. */
export function targetReplicas (scheme: PlacementScheme): number {
  return scheme.type === 'rs' ? scheme.m + 1 : scheme.replicas
}

export type DeferReason = 'at-risk' | 'lost' | 'holders-full'

export type RepairAction =
  /** Copy a block from `sources` (present holders) to up to `count` of `targets`, in order. */
  | { type: 'copy', at: BlockAt, block: BlockPlacement, sources: string[], count: number, targets: string[] }
  /**
   * Rebuild the stripe's `missing` blocks from its blocks with present holders (`sources`, by
   * index, each with those holders) and store each on the next of `targets` that accepts it.
   */
  | { type: 'rebuild', stripe: number, missing: number[], sources: Array<{ index: number, holders: string[] }>, targets: string[] }
  /** Nothing can be done for this group now; the record keeps it as it is. */
  | { type: 'defer', stripe: number, reason: DeferReason, present: number, need: number }

export interface RepairPlan {
  actions: RepairAction[]
  /** The record to sign if every action succeeds; undefined when nothing would change. */
  nextRecord: UnsignedPlacementRecord | undefined
}

/** Nodes that received a verified copy, by `blockKey`. */
export type Placed = ReadonlyMap<string, readonly string[]>

interface Group {
  stripe: number
  /** Blocks present needed to read the group. */
  need: number
  blocks: Array<{ at: BlockAt, block: BlockPlacement }>
  /** Copies wanted per block: `replicas` for replicated blocks and the manifest, 1 in a stripe. */
  copies: boolean
}

function groupsOf (record: PlacementRecord): Group[] {
  const groups: Group[] = [{ stripe: -1, need: 1, blocks: [{ at: { stripe: -1, index: 0 }, block: record.manifest }], copies: true }]
  record.stripes.forEach((s, stripe) => {
    groups.push({
      stripe,
      need: s.data,
      blocks: s.blocks.map((block, index) => ({ at: { stripe, index }, block })),
      copies: record.scheme.type === 'replicas'
    })
  })
  return groups
}

function observe (observations: RepairObservations, at: BlockAt, holder: string): Observation {
  return observations.get(blockKey(at))?.get(holder) ?? 'unknown'
}

function holdersBy (observations: RepairObservations, at: BlockAt, block: BlockPlacement, what: Observation): string[] {
  return block.nodes.filter(h => observe(observations, at, h) === what)
}

/** Blocks of the group with at least one present holder. */
function presentBlocks (observations: RepairObservations, g: Group): number {
  return g.blocks.filter(b => holdersBy(observations, b.at, b.block, 'present').length > 0).length
}

/** Whether the group can be acted on: enough blocks present to read (and so rebuild) it. */
function readable (observations: RepairObservations, g: Group): boolean {
  return presentBlocks(observations, g) >= g.need
}

/** Room left in a block's holder list once its droppable holders go. */
function room (observations: RepairObservations, at: BlockAt, block: BlockPlacement): number {
  return MAX_HOLDERS_PER_BLOCK - block.nodes.filter(h => observe(observations, at, h) !== 'absent').length
}

function candidatesFor (nodes: readonly string[], candidates: readonly PlacementCandidate[], zones: ReadonlyMap<string, string> | undefined): PlacementCandidate[] {
  const byId = new Map(candidates.map(c => [c.peerId, c]))
  return nodes.map(id => {
    const known = byId.get(id)
    if (known !== undefined) return known
    const zone = zones?.get(id)
    return zone === undefined ? { peerId: id } : { peerId: id, zone }
  })
}

/** The plan: actions for every group that needs and allows them, and the record if they all succeed. */
export function planRepair (record: PlacementRecord, observations: RepairObservations, candidates: readonly PlacementCandidate[], params: RepairPlanParams): RepairPlan {
  const object = record.object.toString()
  const actions: RepairAction[] = []
  const placed = new Map<string, string[]>()
  for (const g of groupsOf(record)) {
    const present = presentBlocks(observations, g)
    if (present < g.need) {
      const possible = g.blocks.filter(b => b.block.nodes.some(h => observe(observations, b.at, h) !== 'absent')).length
      actions.push({ type: 'defer', stripe: g.stripe, reason: possible >= g.need ? 'at-risk' : 'lost', present, need: g.need })
      continue
    }
    // Nodes the group still uses (may have their block): never a new home for another of its blocks.
    const using = [...new Set(g.blocks.flatMap(b => b.block.nodes.filter(h => observe(observations, b.at, h) !== 'absent')))]
    const taken = candidatesFor(using, candidates, params.zones)
    if (g.copies) {
      const { at, block } = g.blocks[0]!
      const sources = holdersBy(observations, at, block, 'present')
      const count = Math.min(params.replicas - sources.length, room(observations, at, block))
      if (params.replicas - sources.length > 0 && count <= 0) actions.push({ type: 'defer', stripe: g.stripe, reason: 'holders-full', present, need: g.need })
      if (count <= 0) continue
      const key = g.stripe < 0 ? `${object}/manifest` : `${object}/${g.stripe}`
      const targets = chooseStripeNodes(key, candidates, count, { needBytes: block.size, taken }).map(c => c.peerId)
      actions.push({ type: 'copy', at, block, sources, count, targets })
      if (targets.length > 0) placed.set(blockKey(at), targets.slice(0, count))
      continue
    }
    const lacking = g.blocks.filter(b => holdersBy(observations, b.at, b.block, 'present').length === 0)
    const missing = lacking.filter(b => room(observations, b.at, b.block) > 0).map(b => b.at.index)
    if (missing.length < lacking.length) actions.push({ type: 'defer', stripe: g.stripe, reason: 'holders-full', present, need: g.need })
    const sources = g.blocks.flatMap(b => {
      const holders = holdersBy(observations, b.at, b.block, 'present')
      return holders.length > 0 ? [{ index: b.at.index, holders }] : []
    })
    let rebuildTargets: string[] = []
    if (missing.length > 0) {
      rebuildTargets = chooseStripeNodes(`${object}/${g.stripe}/repair`, candidates, missing.length, { needBytes: largest(g.blocks, missing), taken }).map(c => c.peerId)
      actions.push({ type: 'rebuild', stripe: g.stripe, missing, sources, targets: rebuildTargets })
      missing.forEach((index, j) => { const t = rebuildTargets[j]; if (t !== undefined) placed.set(blockKey({ stripe: g.stripe, index }), [t]) })
    }
    // Crowded blocks (a write with --allow-degraded, or an old placement): present, but on a node
    // that another block of the stripe needs for itself, so that node's loss takes both. Each gets a
    // copy on a node the stripe does not use yet; the crowded holder stays listed.
    const { crowded } = stripeSpread(g.blocks.map(b => holdersBy(observations, b.at, b.block, 'present')))
    const movable = crowded.filter(i => room(observations, g.blocks[i]!.at, g.blocks[i]!.block) > 0)
    if (movable.length > 0) {
      // One block at a time, each needing only its own size: choosing for all at the largest size
      // passed over a fresh-zone node with room for the smaller blocks and reused a zone instead
      // (found by the zone property test). Each pick is taken for the next.
      const busy = candidatesFor([...using, ...rebuildTargets], candidates, params.zones)
      for (const i of movable) {
        const { at, block } = g.blocks[i]!
        const t = chooseStripeNodes(`${object}/${g.stripe}/spread`, candidates, 1, { needBytes: block.size, taken: busy })[0]
        if (t === undefined) continue
        busy.push(t)
        actions.push({ type: 'copy', at, block, sources: holdersBy(observations, at, block, 'present'), count: 1, targets: [t.peerId] })
        placed.set(blockKey(at), [t.peerId])
      }
    }
  }
  return { actions, nextRecord: nextPlacementRecord(record, observations, placed, params.now) }
}

/** The largest of the group's blocks at `indexes`: every target chosen for them must have room for it. */
function largest (blocks: ReadonlyArray<{ block: { size: number } }>, indexes: readonly number[]): number {
  return Math.max(0, ...indexes.map(i => blocks[i]!.block.size))
}

/**
 * The record to publish after repair placed `placed` (verified copies, by `blockKey`), or
 * undefined when no holder list changes. The worker calls it with what actually succeeded;
 * `planRepair` with what it plans. Groups too degraded to read are left exactly as they are.
 */
export function nextPlacementRecord (record: PlacementRecord, observations: RepairObservations, placed: Placed, now: number): UnsignedPlacementRecord | undefined {
  let changed = false
  const update = (g: Group): BlockPlacement[] => g.blocks.map(({ at, block }) => {
    if (!readable(observations, g)) return block
    const sure = block.nodes.filter(h => observe(observations, at, h) !== 'absent')
    // New copies, never past the list's limit (and never by cutting a holder that stays).
    const fresh = [...new Set(placed.get(blockKey(at)) ?? [])].filter(h => !sure.includes(h)).slice(0, Math.max(0, MAX_HOLDERS_PER_BLOCK - sure.length))
    const backed = block.nodes.some(h => observe(observations, at, h) === 'present') || fresh.length > 0
    const nodes = backed ? [...sure, ...fresh] : block.nodes
    if (nodes.length === block.nodes.length && nodes.every((h, i) => h === block.nodes[i])) return block
    changed = true
    return { ...block, nodes }
  })
  const [manifestGroup, ...stripeGroups] = groupsOf(record)
  const manifest = update(manifestGroup!)[0]!
  const stripes = stripeGroups.map((g, i) => ({ data: record.stripes[i]!.data, blocks: update(g) }))
  if (!changed) return undefined
  const { signer: _signer, sig: _sig, degraded, ...rest } = record
  // A degraded write's mark stays until the holder lists meet the scheme.
  const short = degraded !== undefined && placementShortfall({ scheme: record.scheme, manifest, stripes }).length > 0
  return { ...rest, ...(short ? { degraded } : {}), version: record.version + 1, time: now, manifest, stripes }
}
