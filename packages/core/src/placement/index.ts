export * from './record.ts'
export * from './choose.ts'
export * from './repair-plan.ts'
export * from './shortfall.ts'
