export * from './chain-oracle.ts'
export * from './quorum-oracle.ts'
