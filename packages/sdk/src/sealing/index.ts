export { FileSealer, sealStream, type SealedBlock, type SealFileOptions, type SealedFile, type SealedStream } from './seal-file.ts'
export { openFile, OpenErrorCode, DEFAULT_FETCH_CONCURRENCY, type FetchBlock, type OpenFileOptions } from './open-file.ts'
export { CryptoPool, defaultWorkers } from './pool.ts'
export { rechunk } from './rechunk.ts'
