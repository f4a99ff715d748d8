export * from './store.ts'
export * from './audit.ts'
export * from './audit-record.ts'
export * from './swarm.ts'
