export * from './peers.ts'
export * from './block-fetcher.ts'
export * from './placement.ts'
