// Worker thread: runs chunk tasks posted by the pool and transfers the results back.
import { parentPort } from 'node:worker_threads'
import { runTask, type Task } from './chunk-crypto.ts'

parentPort?.on('message', (msg: { id: number, task: Task }) => {
  try {
    const result = runTask(msg.task)
    const input = msg.task.data
    input.fill(0)
    // Transfer only a buffer this view owns whole (never a slice of a shared pool).
    const d = result.data
    if (d.byteOffset !== 0 || d.buffer.byteLength !== d.byteLength) result.data = d.slice()
    const transfer = [result.data.buffer as ArrayBuffer]
    // A plaintext buffer that came whole goes back, zeroed, for the next chunk: a fresh megabyte
    // per chunk cost the main thread page faults and garbage collections.
    if (msg.task.op === 'seal' && input.byteOffset === 0 && input.buffer.byteLength === input.byteLength && input.byteLength > 0) {
      result.spare = input.buffer as ArrayBuffer
      transfer.push(result.spare)
    }
    parentPort?.postMessage({ id: msg.id, result }, transfer)
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, failure: (err as Error).message })
  }
})
// Modules loaded: the pool may send work here now (until then it runs tasks inline).
parentPort?.postMessage({ ready: true })
