import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  DEFAULT_REPUTATION_PARAMS, emptyReputation, observationsFor, observe, PLACEMENT_MIN_SCORE, REPUTATION_HALF_LIFE_MS, REPUTATION_PRIOR,
  reputationScore, type ReputationComponent, type ReputationState
} from '@p2pdv/core/reputation'

const t0 = 1_700_000_000_000
const apply = (s: ReputationState, obs: Array<[ReputationComponent, boolean]>, now: number): ReputationState => obs.reduce((acc, [c, ok]) => observe(acc, c, ok, now), s)

describe('reputation', () => {
  it('a new node starts at the prior on every component, above the placement threshold', () => {
    const r = reputationScore(emptyReputation(t0), t0)
    assert.equal(r.audit, REPUTATION_PRIOR)
    assert.equal(r.availability, REPUTATION_PRIOR)
    assert.ok(Math.abs(r.score - REPUTATION_PRIOR ** 3) < 1e-12)
    assert.equal(r.eligible, true)
  })

  it('is the prior-smoothed average of observations: (S + prior·P) / (W + P)', () => {
    let s = emptyReputation(t0)
    for (const ok of [true, true, false, true]) s = observe(s, 'audit', ok, t0)
    const { priorWeight: P, prior } = DEFAULT_REPUTATION_PARAMS
    assert.ok(Math.abs(reputationScore(s, t0).audit - (3 + prior * P) / (4 + P)) < 1e-12)
    assert.equal(s.audit.passes, 3)
    assert.equal(s.audit.failures, 1)
  })

  it('a node failing every proof, or serving garbage, or never answering, drops below the threshold', () => {
    for (const c of ['audit', 'serving', 'availability'] as const) {
      let s = emptyReputation(t0)
      let n = 0
      while (reputationScore(s, t0).eligible) { s = observe(s, c, false, t0); n++ }
      assert.ok(n >= 1 && n <= 3, `${c}: ${n} failures to drop`)
      assert.ok(reputationScore(s, t0).score < PLACEMENT_MIN_SCORE)
    }
  })

  it('a long good record outweighs one failure; old evidence decays with the half-life', () => {
    let s = emptyReputation(t0)
    for (let i = 0; i < 50; i++) s = observe(s, 'audit', true, t0)
    s = observe(s, 'audit', false, t0)
    assert.ok(reputationScore(s, t0).eligible)
    // A cheater caught 20 times: after many half-lives without news it drifts back to the prior.
    let bad = emptyReputation(t0)
    for (let i = 0; i < 20; i++) bad = observe(bad, 'audit', false, t0)
    const now = reputationScore(bad, t0).audit
    const later = reputationScore(bad, t0 + REPUTATION_HALF_LIFE_MS).audit
    const much = reputationScore(bad, t0 + 40 * REPUTATION_HALF_LIFE_MS).audit
    // One half-life halves the evidence: (0 + 0.9·2) / (10 + 2).
    assert.ok(Math.abs(later - (REPUTATION_PRIOR * 2) / (10 + 2)) < 1e-9)
    assert.ok(now < later && later < much)
    assert.ok(Math.abs(much - REPUTATION_PRIOR) < 1e-6)
  })

  it('maps audit outcomes to components: timeouts hit availability only; uncounted failures hit nothing but availability', () => {
    assert.deepEqual(observationsFor('proof', 'timeout', true), [['availability', false]])
    assert.deepEqual(observationsFor('read', 'unreachable', true), [['availability', false]])
    assert.deepEqual(observationsFor('proof', 'pass', true), [['availability', true], ['audit', true]])
    assert.deepEqual(observationsFor('proof', 'fail', true), [['availability', true], ['audit', false]])
    assert.deepEqual(observationsFor('read', 'fail', true), [['availability', true], ['serving', false]])
    assert.deepEqual(observationsFor('proof', 'fail', false), [['availability', true]])
    const s = apply(emptyReputation(t0), observationsFor('read', 'fail', true), t0)
    assert.equal(s.serving.failures, 1)
    assert.equal(s.audit.failures + s.audit.passes, 0)
  })
})
