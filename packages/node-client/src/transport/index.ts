/** The transport this runtime uses (node:http in Node, fetch in browsers; see package.json "imports"). */
export { request, getBytes, putBytes } from '#transport'
export * from './types.ts'
