/**
 * Node reputation from audit results: three components, each a time-decayed average of pass (1)
 * and fail (0) observations pulled toward a prior, multiplied into one score in [0, 1].
 *
 * - audit: Merkle challenges answered with a valid, signed proof (vs. bad proofs, refusals).
 * - availability: challenges and reads answered at all before the deadline (vs. timeouts).
 * - serving: full reads whose bytes hash to the CID (vs. garbage, or a block it should have).
 *
 * Each component keeps decayed sums S (passes) and W (observations): on every observation both
 * are multiplied by 2^(-Δt / half-life) and then S += ok, W += 1. The component's value is
 * (S + prior · P) / (W + P) with P pseudo-observations at the prior: a new node starts at the prior
 * (eligible), one unlucky timeout does not sink it, and old verdicts fade, so a node that mended
 * its ways recovers and a node that stopped being observed drifts back to the prior.
 *
 * The score is the product of the components: a node has to be reachable AND prove AND serve
 * right; failing any one of them badly is enough to fall below the placement threshold.
 *
 * Placement excludes nodes below PLACEMENT_MIN_SCORE; readers try them last. Pure: no I/O.
 */

export const REPUTATION_HALF_LIFE_MS = 7 * 24 * 60 * 60 * 1000
/** Nodes whose score is below this get no new blocks and are tried last by readers. */
export const PLACEMENT_MIN_SCORE = 0.5
/** Where a component starts, and where it drifts back to without observations. */
export const REPUTATION_PRIOR = 0.9
/** Weight of the prior, in observations. */
export const REPUTATION_PRIOR_WEIGHT = 2
/** The score of a node with no observations yet (every component at the prior). */
export const NEW_NODE_SCORE = REPUTATION_PRIOR ** 3

export type ReputationComponent = 'audit' | 'availability' | 'serving'
export const REPUTATION_COMPONENTS: readonly ReputationComponent[] = ['audit', 'availability', 'serving']

export interface ComponentState {
  /** Decayed sum of passes. */
  sum: number
  /** Decayed number of observations. */
  weight: number
  /** Lifetime counts (not decayed), for display. */
  passes: number
  failures: number
}

export interface ReputationState {
  /** ms since the epoch of the last observation (sums are decayed up to this time). */
  updated: number
  audit: ComponentState
  availability: ComponentState
  serving: ComponentState
}

export interface ReputationParams {
  halfLifeMs: number
  prior: number
  priorWeight: number
}

export const DEFAULT_REPUTATION_PARAMS: ReputationParams = {
  halfLifeMs: REPUTATION_HALF_LIFE_MS,
  prior: REPUTATION_PRIOR,
  priorWeight: REPUTATION_PRIOR_WEIGHT
}

export interface ReputationScore {
  score: number
  eligible: boolean
  audit: number
  availability: number
  serving: number
}

const emptyComponent = (): ComponentState => ({ sum: 0, weight: 0, passes: 0, failures: 0 })

export function emptyReputation (now: number): ReputationState {
  return { updated: now, audit: emptyComponent(), availability: emptyComponent(), serving: emptyComponent() }
}

function decayFactor (from: number, to: number, halfLifeMs: number): number {
  return to <= from ? 1 : 2 ** (-(to - from) / halfLifeMs)
}

/** A new state with one observation added to `component` at time `now`. */
export function observe (state: ReputationState, component: ReputationComponent, ok: boolean, now: number, params = DEFAULT_REPUTATION_PARAMS): ReputationState {
  const f = decayFactor(state.updated, now, params.halfLifeMs)
  const next: ReputationState = { updated: Math.max(now, state.updated), audit: { ...state.audit }, availability: { ...state.availability }, serving: { ...state.serving } }
  for (const c of REPUTATION_COMPONENTS) {
    next[c].sum *= f
    next[c].weight *= f
  }
  const c = next[component]
  c.sum += ok ? 1 : 0
  c.weight += 1
  if (ok) c.passes++
  else c.failures++
  return next
}

export function componentValue (c: ComponentState, decay: number, params = DEFAULT_REPUTATION_PARAMS): number {
  return (c.sum * decay + params.prior * params.priorWeight) / (c.weight * decay + params.priorWeight)
}

/** The score at time `now` (later than the last observation: the evidence has decayed since). */
export function reputationScore (state: ReputationState, now: number, params = DEFAULT_REPUTATION_PARAMS, threshold = PLACEMENT_MIN_SCORE): ReputationScore {
  const f = decayFactor(state.updated, now, params.halfLifeMs)
  const audit = componentValue(state.audit, f, params)
  const availability = componentValue(state.availability, f, params)
  const serving = componentValue(state.serving, f, params)
  const score = audit * availability * serving
  return { score, eligible: score >= threshold, audit, availability, serving }
}

/**
 * Which observations one audit result makes. Timeouts and unreachable nodes speak only to
 * availability; an answer (any answer) counts as available, and then its verdict goes to the
 * audit (proof) or serving (read) component, unless the failure is not `counted` (see AuditRecord).
 */
export function observationsFor (kind: 'proof' | 'read', outcome: 'pass' | 'fail' | 'timeout' | 'unreachable', counted: boolean): Array<[ReputationComponent, boolean]> {
  // Silence the auditor does not count (a peer it has not reached yet, just after it started) scores nothing.
  if (outcome === 'timeout' || outcome === 'unreachable') return counted ? [['availability', false]] : []
  const verdict: ReputationComponent = kind === 'proof' ? 'audit' : 'serving'
  if (outcome === 'pass') return [['availability', true], [verdict, true]]
  return counted ? [['availability', true], [verdict, false]] : [['availability', true]]
}
