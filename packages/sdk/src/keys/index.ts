export * from './keeper-client.ts'
export * from './key-resolver.ts'
export * from './custody.ts'
