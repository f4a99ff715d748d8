/**
 * The browser entry of the sdk (`@p2pdv/sdk/browser`): only modules that run in a page (fetch,
 * WebCrypto through `@p2pdv/core`'s browser AEAD), nothing that needs Node.
 */
export { PeerSet, type PeerInfo } from './peers.ts'
export { BlockFetcher, FetchErrorCode, DEFAULT_BLOCK_TIMEOUT_MS } from './block-fetcher.ts'
export * from './player/peer-directory.ts'
export * from './player/video-source.ts'
export * from './player/hls-loader.ts'
// Keys in a page: the keeper resolver over HTTP, the chain as keepers see it, viewer keys.
export * from './keys/key-resolver.ts'
export * from './keys/keeper-client.ts'
export * from './keys/chain-oracle.ts'
export * from './keys/page-viewer.ts'
export { ChainClient, parseChainConfig, type ChainConfig } from './chain/index.ts'
