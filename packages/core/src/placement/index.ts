export * from './record.ts'
export * from './choose.ts'
export * from './shortfall.ts'
