/**
 * Serving receipts as a node component: opens `receipts.sqlite` when the node has a chain (the
 * open reward epoch is the Rewards contract's next epoch, read through a short cache), and gives
 * the HTTP plane its routes (receipts/routes.ts). Without a chain the routes answer
 * ERR_RECEIPT_NO_CHAIN.
 */
import { join } from 'node:path'
import type { Logger } from 'pino'
import { nextRewardEpoch, type ChainContext } from '@p2pdv/chain'
import { DEFAULT_RECEIPT_CAP_BYTES } from '@p2pdv/core/receipts'
import type { Component } from '../lifecycle.ts'
import { RECEIPTS_DB_FILE, ReceiptStore } from '../receipts/store.ts'
import { receiptRoutes } from '../receipts/routes.ts'

/** The open epoch changes only when the settler posts; it is read at most this often. */
const EPOCH_CACHE_MS = 10_000
/** Even when asked for a fresh value (a receipt names another epoch), the chain is read at most this often. */
const EPOCH_REFRESH_MS = 1_000

export interface ReceiptsDeps {
  dataDir: () => string
  peerId: () => string
  chain: () => ChainContext | undefined
  log: Logger
  capBytes?: bigint
}

export class ReceiptsComponent implements Component {
  readonly name = 'receipts'
  private readonly deps: ReceiptsDeps
  store: ReceiptStore | undefined
  private cached: { epoch: number, at: number } | undefined
  private reading: Promise<number> | undefined

  constructor (deps: ReceiptsDeps) {
    this.deps = deps
  }

  get capBytes (): bigint { return this.deps.capBytes ?? DEFAULT_RECEIPT_CAP_BYTES }

  start (): void {
    if (this.deps.chain() === undefined) return
    this.store = new ReceiptStore(join(this.deps.dataDir(), RECEIPTS_DB_FILE), this.capBytes)
  }

  stop (): void {
    this.store?.close()
    this.store = undefined
  }

  /** The reward epoch now open. */
  async epoch (fresh = false): Promise<number> {
    const chain = this.deps.chain()
    if (chain === undefined) return 0
    // Anyone can post a receipt naming any epoch: a fresh read is rate-limited so they cannot drive the RPC.
    const age = this.cached === undefined ? Infinity : Date.now() - this.cached.at
    if (this.cached !== undefined && age < (fresh ? EPOCH_REFRESH_MS : EPOCH_CACHE_MS)) return this.cached.epoch
    // Concurrent requests share one read.
    this.reading ??= nextRewardEpoch(chain).then(e => {
      const epoch = Number(e)
      this.cached = { epoch, at: Date.now() }
      return epoch
    }).finally(() => { this.reading = undefined })
    return await this.reading
  }

  routes (): ReturnType<typeof receiptRoutes> {
    return receiptRoutes({ peerId: this.deps.peerId(), store: () => this.store, epoch: async fresh => await this.epoch(fresh), capBytes: this.capBytes, log: this.deps.log })
  }
}
