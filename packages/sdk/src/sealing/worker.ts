// Worker thread: runs chunk tasks posted by the pool and transfers the results back.
import { parentPort } from 'node:worker_threads'
import { runTask, type Task } from './chunk-crypto.ts'

parentPort?.on('message', (msg: { id: number, task: Task }) => {
  try {
    const result = runTask(msg.task)
    msg.task.data.fill(0)
    // Transfer only a buffer this view owns whole (never a slice of a shared pool).
    const d = result.data
    if (d.byteOffset !== 0 || d.buffer.byteLength !== d.byteLength) result.data = d.slice()
    const transfer = [result.data.buffer as ArrayBuffer]
    parentPort?.postMessage({ id: msg.id, result }, transfer)
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, failure: (err as Error).message })
  }
})
