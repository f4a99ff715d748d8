export * from './hls.ts'
export * from './dash.ts'
export * from './thumbnails.ts'
export * from './video-paths.ts'
