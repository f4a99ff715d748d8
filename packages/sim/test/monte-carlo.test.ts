import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { analytic, monteCarlo, stressedDetectionHours, t99, DEFAULT_BASE, type DurabilityParams } from '@p2pdv/sim'

describe('Monte Carlo of a network against the model', () => {
  it('loses what the model says where losses are measurable (stressed repair, seeded)', () => {
    const p: DurabilityParams = { ...DEFAULT_BASE, k: 4, n: 6, repairThreshold: 5 }
    const stressed = { ...p, detectionHours: stressedDetectionHours(p, 0.05) }
    const a = analytic(stressed)
    const m = monteCarlo(stressed, { nodes: 1000, runs: 6, seed: 3, warmupYears: a.warmupYears })
    assert.ok(m.lost > 100, `${m.lost} losses observed`)
    const t = (m.annualLoss - a.annualLoss) / m.standardError
    assert.ok(Math.abs(t) <= t99(m.runs - 1), `MC ${m.annualLoss} vs model ${a.annualLoss} (t = ${t})`)
    // Fixed delays lose fewer groups than exponential ones with the same mean.
    const fixed = monteCarlo(stressed, { nodes: 1000, runs: 3, seed: 3, warmupYears: a.warmupYears, repairDelay: 'fixed' })
    assert.ok(fixed.annualLoss < m.annualLoss)
  })

  it('measures the repair traffic the model predicts, and bounds rare losses by the rule of three', () => {
    const p: DurabilityParams = { ...DEFAULT_BASE, k: 1, n: 3, repairThreshold: 2 }
    const a = analytic(p)
    const m = monteCarlo(p, { nodes: 1000, runs: 2, seed: 4, warmupYears: a.warmupYears })
    assert.ok(Math.abs(m.repairMbpsPerNode - a.repairMbpsPerNode) < 0.05 * a.repairMbpsPerNode, `${m.repairMbpsPerNode} vs ${a.repairMbpsPerNode}`)
    assert.equal(m.lost, 0)
    assert.equal(m.high, 3 / m.groups)
  })

  it('is reproducible for a seed and needs at least two runs', () => {
    const p: DurabilityParams = { ...DEFAULT_BASE, k: 2, n: 3, repairThreshold: 2, detectionHours: 500 }
    assert.deepEqual(monteCarlo(p, { nodes: 200, runs: 2, seed: 9 }), monteCarlo(p, { nodes: 200, runs: 2, seed: 9 }))
    assert.throws(() => monteCarlo(p, { nodes: 200, runs: 1 }), RangeError)
    assert.throws(() => monteCarlo(p, { nodes: 2, runs: 2 }), RangeError)
  })
})
