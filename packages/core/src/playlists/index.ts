export * from './hls.ts'
export * from './video-paths.ts'
