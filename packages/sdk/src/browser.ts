/**
 * The browser entry of the sdk (`@p2pdv/sdk/browser`): only modules that run in a page (fetch,
 * WebCrypto through `@p2pdv/core`'s browser AEAD), nothing that needs Node.
 */
export * from './player.ts'
// Keys in a page: the keeper resolver over HTTP, the chain as keepers see it, viewer keys.
export * from './keys/key-resolver.ts'
export * from './keys/keeper-client.ts'
export * from './keys/chain-oracle.ts'
export * from './keys/page-viewer.ts'
export { ChainClient, parseChainConfig, type ChainConfig } from './chain/index.ts'
