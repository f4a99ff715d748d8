export * from './record.ts'
export * from './choose.ts'
