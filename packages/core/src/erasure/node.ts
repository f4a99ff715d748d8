/** The backend the `#erasure` import condition picks in Node. */
export { pureBackend as backend } from './pure.ts'
