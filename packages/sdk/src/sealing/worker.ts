// Worker thread: runs chunk tasks posted by the pool and transfers the results back.
import { parentPort } from 'node:worker_threads'
import { ownsWholeBuffer } from '@p2pdv/core/buffers'
import { recycleInput, runTask, type Task } from './chunk-crypto.ts'

parentPort?.on('message', (msg: { id: number, task: Task }) => {
  try {
    const result = runTask(msg.task)
    recycleInput(msg.task, result, true)
    // A seal's input is plaintext, and this thread's copy: zeroed whether or not it goes back as
    // a spare. An open's input is ciphertext.
    if (msg.task.op === 'seal' && result.spare === undefined) msg.task.data.fill(0)
    // Transfer only a buffer this view owns whole (never a slice of a shared pool).
    if (!ownsWholeBuffer(result.data)) result.data = result.data.slice()
    const transfer = [result.data.buffer as ArrayBuffer, ...(result.spare === undefined ? [] : [result.spare])]
    parentPort?.postMessage({ id: msg.id, result }, transfer)
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, failure: (err as Error).message })
  }
})
// Modules loaded: the pool may send work here now (until then it runs tasks inline).
parentPort?.postMessage({ ready: true })
