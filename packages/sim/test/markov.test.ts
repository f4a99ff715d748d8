import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  analytic, chainRates, churnRatePerYear, renewal, Rng, settledLoss, stressedDetectionHours, transientLoss, DEFAULT_BASE, VALIDATION_TARGET_LOSS,
  type ChainRates
} from '@p2pdv/sim'

const close = (a: number, b: number, rel: number, what: string): void => {
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`)
}

function binomialTail (n: number, p: number, atLeast: number): number {
  let sum = 0
  for (let j = atLeast; j <= n; j++) {
    let c = 1
    for (let x = 0; x < j; x++) c = c * (n - x) / (x + 1)
    sum += c * p ** j * (1 - p) ** (n - j)
  }
  return sum
}

describe('Markov durability model: cases with known answers', () => {
  it('churn: 10 % a month is λ = −12 ln 0.9 per year', () => {
    close(churnRatePerYear(0.1), 1.2643, 1e-4, 'λ')
    close(1 - Math.exp(-churnRatePerYear(0.1) / 12), 0.1, 1e-12, 'monthly share')
  })

  it('one fragment, no redundancy: P(lost within T) = 1 − e^{−λT}', () => {
    for (const [lambda, T] of [[0.5, 1], [3, 0.25], [1e-6, 1]] as Array<[number, number]>) {
      close(transientLoss({ k: 1, n: 1, threshold: 1, lambda, mu: 0 }, T), -Math.expm1(-lambda * T), 1e-9, `λ=${lambda}`)
    }
  })

  it('no repair: lost once more than n − k of n independent fragments are gone (binomial tail)', () => {
    for (const [k, n, lambda] of [[2, 4, 0.7], [4, 6, 0.3], [10, 16, 0.05], [29, 80, 0.2]] as Array<[number, number, number]>) {
      const p = -Math.expm1(-lambda)
      close(transientLoss({ k, n, threshold: k, lambda, mu: 0 }, 1), binomialTail(n, p, n - k + 1), 1e-7, `RS(${k},${n})`)
    }
  })

  it('a mirror with repair has the textbook MTTDL (3λ + μ) / (2λ²)', () => {
    for (const [lambda, mu] of [[1, 100], [0.1, 365], [2, 2]] as Array<[number, number]>) {
      close(renewal({ k: 1, n: 2, threshold: 1, lambda, mu }).mttdlYears, (3 * lambda + mu) / (2 * lambda ** 2), 1e-12, `λ=${lambda} μ=${mu}`)
    }
  })

  it('rare losses: the exact transient and the MTTDL + Poisson approximation agree, down to 1e-30 and beyond', () => {
    for (const c of [{ k: 1, n: 3, threshold: 2, lambda: 1.26, mu: 2000 }, { k: 10, n: 16, threshold: 14, lambda: 1.26, mu: 1400 }, { k: 29, n: 80, threshold: 52, lambda: 1.26, mu: 840 }]) {
      const exact = settledLoss(c, 1, 2)
      const poisson = -Math.expm1(-1 / renewal(c).mttdlYears)
      assert.ok(exact > 0 && exact < 1e-5)
      close(exact, poisson, 0.02, `RS(${c.k},${c.n})`)
    }
  })

  it('more repair bandwidth never loses more; a settled group is at least as exposed as a new one', () => {
    const base: ChainRates = { k: 4, n: 6, threshold: 5, lambda: 1.26, mu: 10 }
    let last = 1
    for (const mu of [10, 100, 1000, 10_000]) {
      const p = transientLoss({ ...base, mu }, 1)
      assert.ok(p < last)
      last = p
      assert.ok(settledLoss({ ...base, mu }, 1, 1) >= p)
    }
    assert.equal(settledLoss(base, 1, 0), transientLoss(base, 1))
  })

  it('matches a direct simulation of the same chain (seeded)', () => {
    const c: ChainRates = { k: 2, n: 4, threshold: 3, lambda: 1.26, mu: 30 }
    const rng = new Rng(42)
    const trials = 40_000
    let lost = 0
    for (let t = 0; t < trials; t++) {
      let i = c.n
      let time = 0
      while (true) {
        const rate = i * c.lambda + (i <= c.threshold ? c.mu : 0)
        time += rng.exp(1 / rate)
        if (time > 1) break
        if (rng.next() * rate < i * c.lambda) { if (--i < c.k) { lost++; break } } else i = c.n
      }
    }
    const p = transientLoss(c, 1)
    const z = (lost / trials - p) / Math.sqrt(p * (1 - p) / trials)
    assert.ok(Math.abs(z) < 4, `z = ${z}`)
  })

  it('repair traffic: a mirror moves two fragments per repair (one read, one written)', () => {
    const r = renewal({ k: 1, n: 2, threshold: 1, lambda: 1, mu: 1e6 })
    close(r.fragmentsMovedPerCycle / r.repairsPerCycle, 2, 1e-12, 'fragments per repair')
    // Per node: every fragment it holds is rebuilt about λ times a year, each costing 2 fragments.
    const a = analytic({ ...DEFAULT_BASE, k: 1, n: 2, repairThreshold: 1, detectionHours: 0.01 })
    const perNodeBytesPerYear = DEFAULT_BASE.nodeDataGB * 1e9 * churnRatePerYear(DEFAULT_BASE.monthlyChurn) * 2
    close(a.repairMbpsPerNode, perNodeBytesPerYear * 8 / 1e6 / (365.25 * 86400), 0.01, 'Mbit/s')
  })

  it('finds the stressed repair delay that loses the validation target', () => {
    const p = { ...DEFAULT_BASE, k: 4, n: 6, repairThreshold: 5 }
    const hours = stressedDetectionHours(p)
    assert.ok(hours > p.detectionHours)
    close(-Math.expm1(-1 / renewal(chainRates({ ...p, detectionHours: hours })).mttdlYears), VALIDATION_TARGET_LOSS, 1e-6, 'loss')
  })

  it('refuses impossible parameters', () => {
    for (const bad of [{ k: 0, n: 3, repairThreshold: 1 }, { k: 4, n: 3, repairThreshold: 3 }, { k: 4, n: 6, repairThreshold: 6 }, { k: 4, n: 6, repairThreshold: 3 }]) {
      assert.throws(() => analytic({ ...DEFAULT_BASE, ...bad }), RangeError)
    }
    assert.throws(() => analytic({ ...DEFAULT_BASE, k: 4, n: 6, repairThreshold: 5, monthlyChurn: 1 }), RangeError)
  })
})
