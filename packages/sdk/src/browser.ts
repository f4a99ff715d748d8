/**
 * The browser entry of the sdk (`@p2pdv/sdk/browser`): only modules that run in a page (fetch,
 * WebCrypto through `@p2pdv/core`'s browser AEAD), nothing that needs Node.
 */
export * from './player.ts'
// Keys in a page: the keeper resolver over HTTP, the chain as keepers see it, viewer keys.
export * from './keys/key-resolver.ts'
export * from './keys/keeper-client.ts'
export { ChainKeyOracle, KEEPER_INFO_TTL_MS, KEEPER_LIST_LIMIT, keeperFromNode } from '@p2pdv/chain/oracles'
export * from './keys/page-viewer.ts'
export * from './keys/siwe.ts'
export { ChainClient, parseChainConfig, type ChainConfig } from '@p2pdv/chain'
// Epoch keys of a keeper-gated live stream (the watch page's `/watch/live/<stream>` without a key).
export { DeferredLiveEpochKeys, LiveEpochKeys, fetchEpochKey } from './live/epoch-keys.ts'
