/**
 * TEST-ONLY. An AccessOracle + KeeperDirectory read from a JSON file, for integration tests and
 * experiments where no chain runs. It is re-read on every call so a test can grant access (as a
 * purchase on chain would) by rewriting the file. A node started with `--dev-oracle-file` says so
 * loudly in its log; nothing in production configures it.
 *
 * {
 *   "chainId": 31337, "verifyingContract": "0x…",
 *   "videos": { "0x<video>": { "owner": "0x…", "keyFingerprint": "0x…", "manifest"?: "bafk…",
 *                              "custody"?: { "epoch": 0, "threshold": 2, "keepers": ["0x…"] },
 *                              "access": ["0x<viewer>" | "*"] } },
 *   "keepers": [{ "address": "0x…", "x25519PublicKey": "0x…", "http"?: "http://…", "peerId"?: "…", "multiaddrs"?: ["…"] }],
 *   "nodeHosts"?: ["0x…"]
 * }
 */
import { readFileSync } from 'node:fs'
import { P2pdvError } from '@p2pdv/core/errors'
import { fromHex, type AccessOracle, type Custody, type Hex, type KeeperDirectory, type KeeperDomain, type KeeperInfo, type VideoId, type VideoRecord } from '@p2pdv/core/keys'

export interface DevOracleFile {
  chainId: number
  verifyingContract: Hex
  videos: Record<string, { owner: Hex, keyFingerprint: Hex, manifest?: string, custody?: Custody, access?: string[] }>
  keepers: Array<{ address: Hex, x25519PublicKey: Hex, http?: string, peerId?: string, multiaddrs?: string[] }>
  nodeHosts?: Hex[]
}

const lower = (s: string): string => s.toLowerCase()

export class DevFileOracle implements AccessOracle, KeeperDirectory {
  readonly path: string
  readonly domain: KeeperDomain

  constructor (path: string) {
    this.path = path
    const f = this.read()
    this.domain = { chainId: f.chainId, verifyingContract: f.verifyingContract }
  }

  private read (): DevOracleFile {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as DevOracleFile
    } catch (cause) {
      throw new P2pdvError('ERR_ORACLE_UNAVAILABLE', `cannot read the test oracle file ${this.path}`, { cause })
    }
  }

  private entry (video: VideoId) {
    const f = this.read()
    return Object.entries(f.videos).find(([k]) => lower(k) === lower(video))?.[1]
  }

  async hasAccess (video: VideoId, viewer: Hex): Promise<boolean> {
    const v = this.entry(video)
    if (v === undefined) return false
    return lower(v.owner) === lower(viewer) || (v.access ?? []).some(a => a === '*' || lower(a) === lower(viewer))
  }

  async video (video: VideoId): Promise<VideoRecord | undefined> {
    const v = this.entry(video)
    if (v === undefined) return undefined
    return { owner: v.owner, keyFingerprint: fromHex(v.keyFingerprint, 32, 'keyFingerprint'), ...(v.manifest === undefined ? {} : { manifest: v.manifest }) }
  }

  async custody (video: VideoId): Promise<Custody | undefined> {
    return this.entry(video)?.custody
  }

  async roles (address: Hex): Promise<{ creator: boolean, nodeHost: boolean }> {
    const f = this.read()
    return {
      creator: Object.values(f.videos).some(v => lower(v.owner) === lower(address)),
      nodeHost: (f.nodeHosts ?? []).some(a => lower(a) === lower(address))
    }
  }

  async keepers (): Promise<KeeperInfo[]> {
    return this.read().keepers.map(k => ({
      address: k.address,
      x25519PublicKey: fromHex(k.x25519PublicKey, 32, 'x25519PublicKey'),
      ...(k.http === undefined ? {} : { http: k.http }),
      ...(k.peerId === undefined ? {} : { peerId: k.peerId }),
      ...(k.multiaddrs === undefined ? {} : { multiaddrs: k.multiaddrs })
    }))
  }

  async keeper (address: Hex): Promise<KeeperInfo | undefined> {
    return (await this.keepers()).find(k => lower(k.address) === lower(address))
  }
}
