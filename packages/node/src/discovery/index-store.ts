/**
 * The discovery index: every public listing this node knows of, in `discovery.sqlite` in its data
 * directory (node:sqlite, with an FTS5 table over title, description and tags). Rows come from
 * the chain's registry (owner, policy, rating, price) joined with the creator's signed listing
 * document, both checked before they get here (components/discovery.ts); this file only stores
 * and answers queries, each bounded by `parseVideoQuery` (query.ts).
 *
 * Paging is by an opaque offset cursor: searches are ranked by relevance, and an offset is the
 * one cursor that works for every order; MAX_OFFSET bounds how deep a client may page.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { categoryOf } from './categories.ts'
import type { VideoQuery } from './query.ts'
import type { ChannelProfile } from '@p2pdv/node-client'

export const DISCOVERY_DB_FILE = 'discovery.sqlite'
/**
 * 1: the first layout; 2: channel profiles (and an owner index); 3: channel names folded for
 * lookup (`nameKey`). A mismatch drops the tables: the index is a cache of the chain, rebuilt
 * from its events.
 */
export const DISCOVERY_DB_SCHEMA = 3

/**
 * A channel name as looked up: NFKC (so full-width and compatibility forms match their plain
 * letters), then upper- and lower-cased, which folds case beyond ASCII (SQLite's NOCASE and LIKE
 * fold only A-Z): "ÉLODIE" finds "élodie", "STRASSE" finds "Straße", "ΣΟΦΊΑ" finds "σοφία".
 * Accents stay: "Jose" and "José" are different names.
 */
export function channelNameKey (name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase()
}
/** Trending looks at purchases and subscriptions within this many seconds. */
export const TRENDING_WINDOW_SECONDS = 14 * 86_400

/** One listed video as the API returns it. */
export interface ListedVideo {
  id: string
  owner: string
  listingCid: string
  manifestCid: string
  policy: 'public' | 'paid' | 'subscribers'
  rating: number
  price?: { asset: string, amount: string, durationSeconds: string }
  /** Seconds since 1970 (the registration block's time, or when this node saw it). */
  registeredAt: number
  title: string
  description?: string
  tags: string[]
  category?: string
  durationSeconds: number
  poster?: string
  createdAt: number
  updatedAt: number
  /** Purchases and subscriptions seen in the trending window. */
  recentPurchases: number
  /** The owner's channel name, from their signed profile, when this node has one. */
  creatorName?: string
}

/** A creator's verified channel profile as the API returns it: the client's own type, so the two cannot drift. */
export type { ChannelProfile }

interface ProfileRow {
  creator: string
  cid: string
  name: string
  bio: string | null
  avatar: string | null
  links: string
  created_at: number
  updated_at: number
}

export interface VideoPage {
  videos: ListedVideo[]
  /** Pass back as `cursor` for the next page; absent on the last page. */
  next?: string
}

interface Row {
  id: string
  owner: string
  listing_cid: string
  manifest_cid: string
  policy: string
  rating: number
  price_asset: string | null
  price_amount: string | null
  price_duration: string | null
  registered_at: number
  title: string
  description: string | null
  tags: string
  category: string | null
  duration: number
  poster: string | null
  created_at: number
  updated_at: number
  recent: number
  creator_name: string | null
}

export type IndexedVideo = Omit<ListedVideo, 'recentPurchases' | 'category' | 'creatorName'>

export class DiscoveryStore {
  readonly db: DatabaseSync
  private readonly upsertRow: StatementSync
  private readonly rowidOf: StatementSync
  private readonly deleteFts: StatementSync
  private readonly insertFts: StatementSync

  constructor (file: string) {
    this.db = new DatabaseSync(file)
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL')
    this.migrate()
    this.upsertRow = this.db.prepare(`INSERT INTO videos (id, owner, listing_cid, manifest_cid, policy, rating, price_asset, price_amount, price_duration, registered_at, title, description, tags, category, duration, poster, created_at, updated_at)
      VALUES (:id, :owner, :listing_cid, :manifest_cid, :policy, :rating, :price_asset, :price_amount, :price_duration, :registered_at, :title, :description, :tags, :category, :duration, :poster, :created_at, :updated_at)
      ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, listing_cid = excluded.listing_cid, manifest_cid = excluded.manifest_cid, policy = excluded.policy, rating = excluded.rating,
        price_asset = excluded.price_asset, price_amount = excluded.price_amount, price_duration = excluded.price_duration, title = excluded.title, description = excluded.description,
        tags = excluded.tags, category = excluded.category, duration = excluded.duration, poster = excluded.poster, created_at = excluded.created_at, updated_at = excluded.updated_at`)
    this.rowidOf = this.db.prepare('SELECT rowid FROM videos WHERE id = ?')
    this.deleteFts = this.db.prepare('DELETE FROM videos_fts WHERE rowid = ?')
    this.insertFts = this.db.prepare('INSERT INTO videos_fts (rowid, title, description, tags) VALUES (?, ?, ?, ?)')
  }

  private migrate (): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
    const version = this.getMeta('schema')
    if (version !== String(DISCOVERY_DB_SCHEMA)) {
      this.db.exec('DROP TABLE IF EXISTS videos; DROP TABLE IF EXISTS videos_fts; DROP TABLE IF EXISTS purchases; DROP TABLE IF EXISTS profiles; DELETE FROM meta')
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS videos (
        rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, owner TEXT NOT NULL, listing_cid TEXT NOT NULL, manifest_cid TEXT NOT NULL,
        policy TEXT NOT NULL, rating INTEGER NOT NULL, price_asset TEXT, price_amount TEXT, price_duration TEXT, registered_at INTEGER NOT NULL,
        title TEXT NOT NULL, description TEXT, tags TEXT NOT NULL, category TEXT, duration REAL NOT NULL, poster TEXT,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS videos_latest ON videos (registered_at DESC, rowid DESC);
      CREATE INDEX IF NOT EXISTS videos_category ON videos (category, registered_at DESC);
      CREATE VIRTUAL TABLE IF NOT EXISTS videos_fts USING fts5 (title, description, tags, tokenize = 'unicode61 remove_diacritics 2');
      CREATE TABLE IF NOT EXISTS purchases (video TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS purchases_video ON purchases (video, at);
      CREATE INDEX IF NOT EXISTS videos_owner ON videos (owner, registered_at DESC);
      CREATE TABLE IF NOT EXISTS profiles (
        creator TEXT PRIMARY KEY, cid TEXT NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL, bio TEXT, avatar TEXT, links TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS profiles_name ON profiles (name_key);
    `)
    this.setMeta('schema', String(DISCOVERY_DB_SCHEMA))
  }

  getMeta (key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
    return row?.value
  }

  setMeta (key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value)
  }

  /** Adds or replaces a video (its listing and chain state), keeping the text index in step. */
  upsert (v: IndexedVideo): void {
    this.db.exec('BEGIN')
    try {
      this.upsertRow.run({
        id: v.id,
        owner: v.owner,
        listing_cid: v.listingCid,
        manifest_cid: v.manifestCid,
        policy: v.policy,
        rating: v.rating,
        price_asset: v.price?.asset ?? null,
        price_amount: v.price?.amount ?? null,
        price_duration: v.price?.durationSeconds ?? null,
        registered_at: v.registeredAt,
        title: v.title,
        description: v.description ?? null,
        tags: JSON.stringify(v.tags),
        category: categoryOf(v.tags) ?? null,
        duration: v.durationSeconds,
        poster: v.poster ?? null,
        created_at: v.createdAt,
        updated_at: v.updatedAt
      })
      const { rowid } = this.rowidOf.get(v.id) as { rowid: number }
      this.deleteFts.run(rowid)
      this.insertFts.run(rowid, v.title, v.description ?? '', v.tags.join(' '))
      this.db.exec('COMMIT')
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
  }

  /** The listing CID indexed for a video, if any (an unchanged listing is not fetched again). */
  listingOf (id: string): string | undefined {
    const row = this.db.prepare('SELECT listing_cid FROM videos WHERE id = ?').get(id) as { listing_cid: string } | undefined
    return row?.listing_cid
  }

  get (id: string, now = Math.floor(Date.now() / 1000)): ListedVideo | undefined {
    const row = this.db.prepare(`SELECT v.*, ${RECENT} AS recent, ${CREATOR_NAME} AS creator_name FROM videos v WHERE v.id = :id`).get({ id, since: now - TRENDING_WINDOW_SECONDS }) as Row | undefined
    return row === undefined ? undefined : toListed(row)
  }

  remove (id: string): void {
    const row = this.rowidOf.get(id) as { rowid: number } | undefined
    if (row === undefined) return
    this.db.exec('BEGIN')
    try {
      this.deleteFts.run(row.rowid)
      this.db.prepare('DELETE FROM videos WHERE rowid = ?').run(row.rowid)
      this.db.exec('COMMIT')
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
  }

  /** A purchase or subscription payment for `video` at `at` (seconds), for trending. */
  addPurchase (video: string, at: number): void {
    this.db.prepare('INSERT INTO purchases (video, at) VALUES (?, ?)').run(video, at)
  }

  /** Forgets purchases older than the trending window (they no longer count). */
  prunePurchases (now = Math.floor(Date.now() / 1000)): void {
    this.db.prepare('DELETE FROM purchases WHERE at < ?').run(now - TRENDING_WINDOW_SECONDS)
  }

  get size (): number {
    return (this.db.prepare('SELECT count(*) AS n FROM videos').get() as { n: number }).n
  }

  /** One page of videos matching a (validated) query. */
  search (q: VideoQuery, now = Math.floor(Date.now() / 1000)): VideoPage {
    const where: string[] = []
    const params: Record<string, string | number> = { since: now - TRENDING_WINDOW_SECONDS, limit: q.limit + 1, offset: q.offset }
    let from = 'videos v'
    const relevance = q.sort === 'relevance' && q.match !== undefined
    if (q.match !== undefined) {
      params.match = q.match
      if (relevance && q.tag === undefined && q.category === undefined && q.maxRating === undefined && q.creator === undefined) {
        // Best first, unfiltered: the text index ranks and cuts the page on its own, and only the
        // page's rows are read (ties by rowid: the order the index learnt them). Joining first
        // read every matching row: 3× slower in the bench.
        const page = `SELECT rowid AS r, ${BM25} AS score FROM videos_fts WHERE videos_fts MATCH :match ORDER BY score, rowid DESC LIMIT :limit OFFSET :offset`
        return this.page(`SELECT v.*, ${RECENT} AS recent, ${CREATOR_NAME} AS creator_name FROM (${page}) t CROSS JOIN videos v ON v.rowid = t.r ORDER BY t.score, t.r DESC`, params, q)
      }
      if (q.sort === 'latest') {
        // Newest first: walk the recency index and stop at the page's end, keeping rows whose
        // rowid the text index matched. Joining from the matches instead read and sorted every
        // matching row (thousands for a common word): 10× slower in the bench.
        from = 'videos v INDEXED BY videos_latest'
        where.push('+v.rowid IN (SELECT rowid FROM videos_fts WHERE videos_fts MATCH :match)')
      } else {
        from = 'videos_fts f JOIN videos v ON v.rowid = f.rowid'
        where.push('videos_fts MATCH :match')
      }
    }
    if (q.tag !== undefined) {
      where.push('EXISTS (SELECT 1 FROM json_each(v.tags) WHERE json_each.value = :tag)')
      params.tag = q.tag
    }
    if (q.category !== undefined) {
      where.push('v.category = :category')
      params.category = q.category
    }
    if (q.maxRating !== undefined) {
      where.push('v.rating <= :maxRating')
      params.maxRating = q.maxRating
    }
    if (q.creator !== undefined) {
      where.push('v.owner = :creator')
      params.creator = q.creator
    }
    if (q.sort === 'trending') where.push(`${RECENT} > 0`)
    const order = q.sort === 'trending'
      ? 'recent DESC, v.registered_at DESC, v.rowid DESC'
      : relevance
        ? `${BM25}, v.rowid DESC`
        : 'v.registered_at DESC, v.rowid DESC'
    return this.page(`SELECT v.*, ${RECENT} AS recent, ${CREATOR_NAME} AS creator_name FROM ${from}${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY ${order} LIMIT :limit OFFSET :offset`, params, q)
  }

  private page (sql: string, params: Record<string, string | number>, q: VideoQuery): VideoPage {
    const rows = this.db.prepare(sql).all(params) as unknown as Row[]
    const more = rows.length > q.limit
    const videos = rows.slice(0, q.limit).map(toListed)
    return { videos, ...(more ? { next: encodeCursor(q.offset + q.limit) } : {}) }
  }

  /**
   * The same text search as a plain LIKE scan over title, description and tags (the benchmark's
   * baseline; not used by the API).
   */
  searchLike (words: string[], limit: number): string[] {
    const where = words.map((_, i) => `(title LIKE :w${i} OR description LIKE :w${i} OR tags LIKE :w${i})`).join(' AND ')
    const params: Record<string, string | number> = { limit }
    words.forEach((w, i) => { params[`w${i}`] = `%${w}%` })
    return (this.db.prepare(`SELECT id FROM videos WHERE ${where} ORDER BY registered_at DESC LIMIT :limit`).all(params) as Array<{ id: string }>).map(r => r.id)
  }

  /** Adds or replaces a creator's verified profile (address checksummed, as the chain gives it). */
  upsertProfile (p: ChannelProfile): void {
    this.db.prepare(`INSERT INTO profiles (creator, cid, name, name_key, bio, avatar, links, created_at, updated_at) VALUES (:creator, :cid, :name, :name_key, :bio, :avatar, :links, :created_at, :updated_at)
      ON CONFLICT(creator) DO UPDATE SET cid = excluded.cid, name = excluded.name, name_key = excluded.name_key, bio = excluded.bio, avatar = excluded.avatar, links = excluded.links,
        created_at = excluded.created_at, updated_at = excluded.updated_at`).run({
      creator: p.address,
      cid: p.cid,
      name: p.name,
      name_key: channelNameKey(p.name),
      bio: p.bio ?? null,
      avatar: p.avatar ?? null,
      links: JSON.stringify(p.links),
      created_at: p.createdAt,
      updated_at: p.updatedAt
    })
  }

  removeProfile (creator: string): void {
    this.db.prepare('DELETE FROM profiles WHERE creator = ?').run(creator)
  }

  profile (creator: string): ChannelProfile | undefined {
    const row = this.db.prepare('SELECT * FROM profiles WHERE creator = ?').get(creator) as ProfileRow | undefined
    return row === undefined ? undefined : toProfile(row)
  }

  /** Channels whose name starts with `name` (case folded, see channelNameKey), exact matches first. */
  findProfiles (name: string, limit: number): ChannelProfile[] {
    const key = channelNameKey(name)
    const prefix = `${key.replace(/[\\%_]/g, c => `\\${c}`)}%`
    const rows = this.db.prepare(`SELECT * FROM profiles WHERE name_key LIKE :prefix ESCAPE '\\' ORDER BY (name_key = :key) DESC, updated_at DESC LIMIT :limit`)
      .all({ prefix, key, limit }) as unknown as ProfileRow[]
    return rows.map(toProfile)
  }

  close (): void {
    if (this.db.isOpen) this.db.close()
  }
}

/** The owner's channel name (one primary-key lookup per row). */
const CREATOR_NAME = '(SELECT p.name FROM profiles p WHERE p.creator = v.owner)'
const RECENT = '(SELECT count(*) FROM purchases p WHERE p.video = v.id AND p.at >= :since)'
/** Relevance: a title match weighs most, then tags, then the description. */
const BM25 = 'bm25(videos_fts, 10.0, 1.0, 4.0)'

export function encodeCursor (offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url')
}

function toListed (r: Row): ListedVideo {
  return {
    id: r.id,
    owner: r.owner,
    listingCid: r.listing_cid,
    manifestCid: r.manifest_cid,
    policy: r.policy as ListedVideo['policy'],
    rating: r.rating,
    ...(r.price_asset === null || r.price_amount === null || r.price_duration === null ? {} : { price: { asset: r.price_asset, amount: r.price_amount, durationSeconds: r.price_duration } }),
    registeredAt: r.registered_at,
    title: r.title,
    ...(r.description === null ? {} : { description: r.description }),
    tags: JSON.parse(r.tags) as string[],
    ...(r.category === null ? {} : { category: r.category }),
    durationSeconds: r.duration,
    ...(r.poster === null ? {} : { poster: r.poster }),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    recentPurchases: r.recent,
    ...(r.creator_name === null ? {} : { creatorName: r.creator_name })
  }
}

function toProfile (r: ProfileRow): ChannelProfile {
  return {
    address: r.creator,
    cid: r.cid,
    name: r.name,
    ...(r.bio === null ? {} : { bio: r.bio }),
    ...(r.avatar === null ? {} : { avatar: r.avatar }),
    links: JSON.parse(r.links) as string[],
    createdAt: r.created_at,
    updatedAt: r.updated_at
  }
}
