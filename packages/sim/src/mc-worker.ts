// Runs one Monte Carlo task in a worker thread (the CLI spreads tasks over the cores).
import { parentPort } from 'node:worker_threads'
import { monteCarlo, type MonteCarloOptions } from './monte-carlo.ts'
import type { DurabilityParams } from './params.ts'

parentPort?.on('message', (task: { id: number, params: DurabilityParams, options: Partial<MonteCarloOptions> }) => {
  try {
    parentPort?.postMessage({ id: task.id, result: monteCarlo(task.params, task.options) })
  } catch (err) {
    parentPort?.postMessage({ id: task.id, error: (err as Error).message })
  }
})
