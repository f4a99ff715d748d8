/**
 * Parameters of a durability model. One *group* is one stripe of k data + m parity fragments on
 * n = k + m distinct nodes (replication ×r is k = 1, n = r). Nodes leave for good at the churn
 * rate (a departed node's fragments are lost; a new, empty node takes its place). A group is
 * repaired once its live fragments fall to `repairThreshold`: after a delay (detecting the loss,
 * then moving the bytes) all its missing fragments are rebuilt on other nodes. It is lost when
 * fewer than k fragments are left.
 */

export interface DurabilityParams {
  /** Fragments needed to read a group. */
  k: number
  /** Fragments stored per group (k + m). */
  n: number
  /** Repair starts when live fragments ≤ this (k ≤ threshold < n; n − 1 is eager repair). */
  repairThreshold: number
  /** Share of nodes that leave for good in a month (0.1 = 10 %). */
  monthlyChurn: number
  /** Mean time from a fragment's loss to the start of its repair (audits, availability checks), hours. */
  detectionHours: number
  /** Bandwidth a node gives to repair traffic, Mbit/s (a repair downloads k fragments into one node). */
  repairBandwidthMbps: number
  /** Block data stored per node, GB. */
  nodeDataGB: number
  /** Fragments per node: placement groups, repaired in parallel (a fragment is nodeDataGB / groupsPerNode). */
  groupsPerNode: number
}

export interface Scheme { name: string, k: number, n: number, repairThreshold: number }

export const HOURS_PER_YEAR = 24 * 365.25
export const SECONDS_PER_YEAR = HOURS_PER_YEAR * 3600

/** Node departures per year from a monthly churn share: λ = −12 ln(1 − churn). */
export function churnRatePerYear (monthlyChurn: number): number {
  return -12 * Math.log1p(-monthlyChurn)
}

/** Fragment size, GB. */
export function fragmentGB (p: DurabilityParams): number {
  return p.nodeDataGB / p.groupsPerNode
}

/** Time to move the bytes of one repair: k fragments into the repairing node, hours. */
export function transferHours (p: DurabilityParams): number {
  return (p.k * fragmentGB(p) * 8e3) / p.repairBandwidthMbps / 3600
}

/** Mean repair delay (detection + transfer), years. */
export function meanRepairYears (p: DurabilityParams): number {
  return (p.detectionHours + transferHours(p)) / HOURS_PER_YEAR
}

export function validateParams (p: DurabilityParams): void {
  const int = (v: number, min: number): boolean => Number.isSafeInteger(v) && v >= min
  if (!int(p.k, 1) || !int(p.n, p.k) || p.n > 255) throw new RangeError('need 1 ≤ k ≤ n ≤ 255')
  if (!int(p.repairThreshold, p.k) || p.repairThreshold >= p.n) {
    if (!(p.n === p.k && p.repairThreshold === p.k)) throw new RangeError('need k ≤ repairThreshold < n')
  }
  if (!(p.monthlyChurn > 0 && p.monthlyChurn < 1)) throw new RangeError('monthlyChurn must be in (0, 1)')
  for (const [name, v] of [['detectionHours', p.detectionHours], ['repairBandwidthMbps', p.repairBandwidthMbps], ['nodeDataGB', p.nodeDataGB], ['groupsPerNode', p.groupsPerNode]] as const) {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be positive`)
  }
}

/** Storage overhead: bytes stored per byte of data. */
export function overhead (s: { k: number, n: number }): number {
  return s.n / s.k
}

/** Nines of a probability: −log10(p) (∞ for 0). */
export function nines (p: number): number {
  return p <= 0 ? Infinity : -Math.log10(p)
}
