// Discovery end to end on a real devnet: a freshly uploaded video (with a hostile title and
// description) is found by `p2pdv search` and listed by `p2pdv ls` with its title, creator,
// duration and price; in Chromium it is on the home page, found by a word of its title, and its
// page plays it; its HTML renders as text. A viewer who limits ratings in Settings (behind a PIN)
// no longer finds a video rated above it, and its watch page does not play it. The creator sets
// a channel profile with `p2pdv channel set`: the index serves it, cards and the video page link
// the creator's name to the channel page, which shows the profile (as text) and their videos; a
// forged profile naming the creator, pointed at by another account, shows for nobody.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { NodeClient } from '@p2pdv/node-client'
import { privateKeyToAccount } from 'viem/accounts'
import { fromHexBytes, profileBlock, profileDigest, type ProfileBody } from '@p2pdv/core'
import { ANVIL_KEYS } from '@p2pdv/contracts/anvil'
import { connectChain, parseChainConfig, setProfile } from '@p2pdv/chain'
import { Client } from '@p2pdv/sdk'
import { launchChromium, type Browser } from './fixtures/chromium.ts'
import { screenshots } from './fixtures/screenshots.ts'
import { assertAccessible } from './fixtures/axe.ts'
import { runCli, startDevnet, type RunningDevnet } from '../../cli/test/fixtures/cli.ts'
import { makeTestVideo } from './fixtures/video.ts'

const HOSTILE_TITLE = 'Harbour lights <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>'
const WAIT_MS = 60_000

/** No payload of a listing ran, and none of its markup became elements. */
async function assertInert (page: Page): Promise<void> {
  const found = await page.evaluate(() => ({
    pwned: (window as unknown as { __pwned?: number }).__pwned,
    imgX: document.querySelectorAll('img[src="x"], b[onmouseover], a[href^="javascript:"]').length,
    scripts: [...document.scripts].filter(s => s.src === '' || !s.src.startsWith(location.origin)).length
  }))
  assert.deepEqual(found, { pwned: undefined, imgX: 0, scripts: 0 })
}

const HOSTILE_DESCRIPTION = 'Boats at dusk.\n<b onmouseover="window.__pwned=3">hover</b> <a href="javascript:window.__pwned=4">link</a>'

describe('discovery on a devnet', () => {
  let devnet: RunningDevnet
  let env: NodeJS.ProcessEnv
  let videoId: string
  let secondId: string
  let browser: Browser

  before(async () => {
    devnet = await startDevnet(2)
    const video = join(devnet.dir, 'clip.mp4')
    await makeTestVideo(video, 4)
    env = { ...devnet.env, P2PDV_HOME: join(devnet.dir, 'home'), P2PDV_PASSPHRASE: 'test passphrase' }
    const up = await runCli(['upload', video, '--replicas', '2', '--title', HOSTILE_TITLE, '--description', HOSTILE_DESCRIPTION, '--tags', 'travel,boats', '--json'], env, 300_000)
    assert.equal(up.code, 0, up.stdout + up.stderr)
    videoId = up.json.chain.videoId
    // A second, paid one, so the pages show more than one card and a price.
    const second = join(devnet.dir, 'second.mp4')
    await makeTestVideo(second, 3)
    // Rated 16+ (3): hidden from a viewer who limits ratings to 13+.
    const up2 = await runCli(['upload', second, '--replicas', '2', '--title', 'Night market walk', '--description', 'Food stalls after dark.', '--tags', 'food,street', '--price', '0.002', '--rating', '3', '--json'], env, 300_000)
    assert.equal(up2.code, 0, up2.stdout + up2.stderr)
    secondId = up2.json.chain.videoId
    // The node's index follows the chain every few seconds: wait (bounded) until it lists the video.
    const node = new NodeClient(devnet.state.nodes[0]!.http)
    for (let i = 0; i < 120; i++) {
      if ((await node.videos({}).catch(() => ({ videos: [] }))).videos.length >= 2) break
      await new Promise(resolve => setTimeout(resolve, 500))
    }
  })

  after(async () => {
    await browser?.close()
    await devnet?.stop()
    if (devnet !== undefined) await rm(devnet.dir, { recursive: true, force: true })
  })

  it('p2pdv search finds it by a word of its title and prints title, creator, duration and price', async () => {
    const r = await runCli(['search', 'harbour'], env)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.ok(r.stdout.includes(HOSTILE_TITLE), r.stdout)
    assert.match(r.stdout, /00:04 · free/)
    const j = await runCli(['search', 'harb', '--json'], env)
    assert.deepEqual(j.json.videos.map((v: { id: string }) => v.id), [videoId])
    const none = await runCli(['search', 'submarine'], env)
    assert.match(none.stdout, /nothing found/)
    const bad = await runCli(['search', 'x'.repeat(300), '--json'], env)
    assert.notEqual(bad.code, 0)
    assert.equal(bad.json.error.code, 'ERR_VIDEO_QUERY')
  })

  it('p2pdv ls prints titles, creators, durations and prices (ids with --json)', async () => {
    const r = await runCli(['ls'], env)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    assert.ok(r.stdout.includes(HOSTILE_TITLE), r.stdout)
    assert.match(r.stdout, /alice · 00:04 · free/)
    const j = await runCli(['ls', '--json'], env)
    assert.equal(j.json.videos[0].id, videoId)
    assert.equal(j.json.videos[0].title, HOSTILE_TITLE)
  })

  it('the home page lists it; a word of its title typed in the search box finds it; its page plays it; listing HTML is text', async () => {
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required'])
    const page = await browser.context.newPage()
    await page.goto(devnet.state.nodes[0]!.http + '/')
    const card = page.locator(`[aria-label="Latest videos"] a[data-video="${videoId}"]`)
    await card.waitFor({ timeout: WAIT_MS })
    assert.equal(await card.locator('.card-title').textContent(), HOSTILE_TITLE)
    await page.locator('[aria-label="Latest videos"] .cover img').first().waitFor({ timeout: WAIT_MS })
    await assertInert(page)
    await screenshots(page, 'home')
    await assertAccessible(page, 'home')

    // Keyboard only: focus the search box, type a word of the title, Enter.
    await page.getByLabel('Search videos').focus()
    await page.keyboard.type('harbour')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/search\?q=harbour$/)
    const results = page.locator('[aria-label="Search results"] a[data-video]')
    await results.first().waitFor({ timeout: WAIT_MS })
    assert.deepEqual(await results.evaluateAll(as => as.map(a => a.getAttribute('data-video'))), [videoId])
    await assertInert(page)
    await screenshots(page, 'search')
    await assertAccessible(page, 'search')

    // Tab to the result and open it with Enter.
    await results.first().focus()
    await page.keyboard.press('Enter')
    await page.waitForURL(new RegExp(`/watch/video/${videoId}$`))
    await page.locator('#video-title').waitFor({ timeout: WAIT_MS })
    assert.equal(await page.locator('#video-title').textContent(), HOSTILE_TITLE)
    assert.equal(await page.locator('.description').textContent(), HOSTILE_DESCRIPTION)
    assert.equal(await page.locator('[data-price-state]').getAttribute('data-price-state'), 'public')
    await page.waitForFunction(() => {
      const v = document.querySelector('video')
      const err = document.querySelector('.error-detail')
      if (err !== null) throw new Error(err.textContent ?? 'player error')
      return v !== null && !v.paused && v.currentTime > 1
    }, undefined, { timeout: WAIT_MS, polling: 100 })
    await assertInert(page)
    await screenshots(page, 'video')
    await assertAccessible(page, 'video')
    await page.close()
  })

  it('shows a paid video\'s price, filters by category, and refuses an oversized search with its code', async () => {
    const page = await browser.context.newPage()
    await page.goto(devnet.state.nodes[0]!.http + '/search?category=food')
    const results = page.locator('[aria-label="Search results"] .card-title')
    await results.first().waitFor({ timeout: WAIT_MS })
    assert.deepEqual(await results.allTextContents(), ['Night market walk'])
    assert.equal(await page.locator('[aria-label="Search results"] .price-tag').textContent(), '0.002 ETH')
    await page.goto(devnet.state.nodes[0]!.http + `/search?q=${'word '.repeat(60)}`)
    await page.locator('.notice code').waitFor({ timeout: WAIT_MS })
    assert.equal(await page.locator('.notice code').textContent(), 'ERR_VIDEO_QUERY')
    await page.close()
  })

  it('the node dashboard shows the serving node\'s real numbers: storage, blocks, placements, peers, stake on chain, the auditor\'s section', async () => {
    const n0 = devnet.state.nodes[0]!
    browser ??= await launchChromium()
    const page = await browser.context.newPage()
    await page.goto(n0.http + '/node')
    await page.locator('[data-testid=stake]').waitFor({ timeout: WAIT_MS })
    const status = await (await fetch(n0.http + '/api/v1/status')).json() as { peerId: string, blocks: number, placements: number }
    const shown = async (id: string): Promise<number> => Number((await page.locator(`[data-testid=${id}]`).textContent())!.replace(/,/g, ''))
    // The uploads are long done: the numbers the page shows are the node's (the page refreshes every 10 s).
    assert.ok(status.blocks > 0)
    assert.equal(await shown('blocks'), status.blocks)
    assert.equal(await shown('placements'), status.placements)
    assert.equal(await shown('known'), devnet.state.nodes.length)
    const listed = await runCli(['nodes', '--json'], env)
    const mine = listed.json.nodes.find((x: { peerId: string }) => x.peerId === status.peerId)
    assert.ok(mine !== undefined, 'node-0 is registered on chain')
    const stake = BigInt(mine.stake)
    assert.equal(await page.locator('[data-testid=stake]').textContent(), `${(stake / 10n ** 18n).toLocaleString('en-US')} P2PV`)
    // node-0 runs the auditor: its audits section is there (scores come after its first rounds,
    // a minute apart: the test does not wait for them). node-1 runs none: no such section.
    await page.locator('#audit-h').waitFor({ timeout: WAIT_MS })
    const other = await browser.context.newPage()
    await other.goto(devnet.state.nodes[1]!.http + '/node')
    await other.locator('[data-testid=stake]').waitFor({ timeout: WAIT_MS })
    assert.equal(await other.locator('#audit-h').count(), 0)
    await other.close()
    await assertInert(page)
    await screenshots(page, 'node')
    await assertAccessible(page, 'node')
    await page.close()
  })

  it('a rating limit set in Settings and locked with a PIN hides a 16+ video from home and search, and its page does not play it', async () => {
    const web = devnet.state.nodes[0]!.http
    const page = await browser.context.newPage()
    try {
      await page.goto(`${web}/settings`)
      await page.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: WAIT_MS })
      await page.getByLabel('PIN', { exact: true }).fill('2468')
      await page.getByLabel('Repeat it').fill('2468')
      await page.getByRole('button', { name: 'Set PIN' }).click()
      await page.locator('.settings-note.ok').waitFor({ timeout: WAIT_MS })
      // Stored as itself it would stand alone (a value, or between quotes); inside random hex or
      // base64 (video ids, the salted hash) the digits may occur by chance.
      assert.doesNotMatch(await page.evaluate(() => JSON.stringify(localStorage)), /(^|[^0-9a-zA-Z+/])2468([^0-9a-zA-Z+/=]|$)/, 'the PIN is not stored')
      // Locked now: a wrong PIN changes nothing, the right one does.
      await page.getByLabel('13+').check()
      await page.getByLabel('PIN', { exact: true }).fill('1357')
      await page.getByRole('button', { name: 'Save' }).click()
      await page.locator('.settings-note.bad', { hasText: 'ERR_PIN_WRONG' }).waitFor({ timeout: WAIT_MS })
      assert.equal(await page.locator('[data-max-rating]').getAttribute('data-max-rating'), '4')
      await page.getByLabel('PIN', { exact: true }).fill('2468')
      await page.getByRole('button', { name: 'Save' }).click()
      await page.locator('[data-max-rating="2"]').waitFor({ timeout: WAIT_MS })
      await screenshots(page, 'settings')
      await assertAccessible(page, 'settings')

      // Home and search leave it out; the video rated All ages is still there.
      await page.goto(`${web}/`)
      await page.locator(`[aria-label="Latest videos"] a[data-video="${videoId}"]`).waitFor({ timeout: WAIT_MS })
      assert.equal(await page.locator(`a[data-video="${secondId}"]`).count(), 0)
      await page.goto(`${web}/search?category=food`)
      await page.locator('.empty .rating-note', { hasText: 'rated above 13+ are hidden' }).waitFor({ timeout: WAIT_MS })
      assert.equal(await page.locator(`a[data-video="${secondId}"]`).count(), 0)
      // Its watch page names the reason and plays nothing.
      await page.goto(`${web}/watch/video/${secondId}`)
      await page.locator('.rating-hidden[data-hidden-rating="3"]').waitFor({ timeout: WAIT_MS })
      assert.equal(await page.locator('video').count(), 0)
      await screenshots(page, 'rating-hidden')
      await assertAccessible(page, 'rating-hidden')
    } finally {
      await page.evaluate(() => { localStorage.clear() }).catch(() => {})
      await page.close()
    }
  })

  it('a French browser gets the app in French (its catalog loaded on demand); Settings switches to English, which persists across reloads', async () => {
    const web = devnet.state.nodes[0]!.http
    // English pages never fetch the French catalog.
    const english = await browser.context.newPage()
    const bodies: Array<Promise<string>> = []
    english.on('response', r => { if (r.url().endsWith('.js')) bodies.push(r.text().catch(() => '')) })
    await english.goto(`${web}/`)
    await english.locator(`[aria-label="Latest videos"] a[data-video="${videoId}"]`).waitFor({ timeout: WAIT_MS })
    assert.equal(await english.locator('html').getAttribute('lang'), 'en')
    assert.ok(bodies.length > 0 && !(await Promise.all(bodies)).some(b => b.includes('Regardez ce que les gens partagent')), 'no French on an English page')
    await english.close()

    const french = await launchChromium([], { locale: 'fr-FR' })
    try {
      const page = await french.context.newPage()
      await page.goto(`${web}/`)
      await page.getByRole('heading', { level: 1, name: 'Regardez ce que les gens partagent, directement depuis le réseau.' }).waitFor({ timeout: WAIT_MS })
      assert.equal(await page.locator('html').getAttribute('lang'), 'fr')
      await page.locator(`[aria-label="Dernières vidéos"] a[data-video="${videoId}"]`).waitFor({ timeout: WAIT_MS })
      await page.locator('.net.up .net-label', { hasText: /^\d+ nœuds? en ligne$/ }).waitFor({ timeout: WAIT_MS })
      assert.equal(await page.getByLabel('Rechercher des vidéos').getAttribute('placeholder'), 'Rechercher des vidéos')
      assert.match(await page.locator('.card-meta').first().textContent() ?? '', /il y a|à l’instant/)
      await screenshots(page, 'home-fr')
      // A second page: search results, counted in French.
      await page.goto(`${web}/search?q=harbour`)
      await page.getByRole('heading', { level: 1, name: 'Résultats pour « harbour »' }).waitFor({ timeout: WAIT_MS })
      await page.locator('.result-count', { hasText: '1 vidéo' }).waitFor({ timeout: WAIT_MS })
      // Settings: the choice follows the browser until the viewer picks English; the page reloads in it.
      await page.goto(`${web}/settings`)
      await page.getByRole('heading', { level: 1, name: 'Réglages' }).waitFor({ timeout: WAIT_MS })
      const select = page.getByRole('combobox', { name: 'Langue' })
      assert.equal(await select.inputValue(), '')
      await Promise.all([page.waitForEvent('load'), select.selectOption('en')])
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor({ timeout: WAIT_MS })
      assert.equal(await page.getByRole('combobox', { name: 'Language' }).inputValue(), 'en')
      await page.reload()
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor({ timeout: WAIT_MS })
      await page.goto(`${web}/`)
      await page.getByRole('heading', { level: 1, name: 'Watch what people share, straight from the network.' }).waitFor({ timeout: WAIT_MS })
      assert.equal(await page.locator('html').getAttribute('lang'), 'en')
    } finally {
      await french.close()
    }
  })

  it('channels: `p2pdv channel set` signs a profile the index serves; names link to the channel page; a forged profile shows for nobody', async () => {
    const web = devnet.state.nodes[0]!.http
    const avatar = join(devnet.dir, 'avatar.png')
    await promisify(execFile)('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x160', '-frames:v', '1', '-y', avatar])
    const NAME = 'Harbour <b>Films</b>'
    const set = await runCli(['channel', 'set', '--name', NAME, '--bio', 'Boats at dusk.\n<img src=x onerror="window.__pwned=5">', '--avatar', avatar, '--link', 'https://example.org/harbour', '--replicas', '2', '--json'], env)
    assert.equal(set.code, 0, set.stdout + set.stderr)
    const alice = devnet.state.chain!.accounts.alice!
    // Another account points its own profile at a block that names alice but is signed by someone else.
    const c = devnet.state.chain!
    const config = parseChainConfig({ rpc: c.rpc, chainId: c.chainId, contracts: c.contracts, startBlock: c.startBlock }, 'devnet')
    const strangerKey = privateKeyToAccount(ANVIL_KEYS[9])
    const body: ProfileBody = { v: 1, type: 'profile', creator: fromHexBytes(alice), name: 'Harbour Films (official)', links: [], createdAt: 1, updatedAt: 1 }
    const forged = await profileBlock({ ...body, sig: fromHexBytes(await strangerKey.signMessage({ message: { raw: profileDigest(body) } })) })
    const client = await Client.create({ peers: devnet.state.nodes })
    try {
      await client.putBlock(forged.block, { replicas: 2 })
    } finally {
      await client.close()
    }
    const stranger = await connectChain(config, { account: strangerKey })
    await setProfile(stranger, forged.cid.toString())

    // The CLI shows the channel once the index has it (bounded wait), by address and by name.
    let shown: any
    for (let i = 0; i < 60 && shown?.profile?.name !== NAME; i++) {
      if (i > 0) await new Promise(resolve => setTimeout(resolve, 500))
      shown = (await runCli(['channel', alice, '--json'], env)).json
    }
    assert.equal(shown.profile.name, NAME)
    assert.equal(shown.profile.cid, set.json.profileCid)
    assert.ok(shown.videos.some((v: { id: string }) => v.id === videoId))
    const byName = await runCli(['channel', 'harbour'], env)
    assert.equal(byName.code, 0, byName.stdout + byName.stderr)
    assert.ok(byName.stdout.startsWith(NAME), byName.stdout)
    const search = await runCli(['search', 'harbour'], env)
    assert.ok(search.stdout.includes(`${NAME} (0x`), search.stdout)
    // The forgery is nobody's channel: the index skipped it (the stranger has no profile and no videos).
    const node = new NodeClient(web)
    await assert.rejects(node.channel(strangerKey.address), { code: 'ERR_CHANNEL_NOT_FOUND' })
    assert.equal((await node.channel(alice)).profile?.name, NAME)

    browser ??= await launchChromium(['--autoplay-policy=no-user-gesture-required'])
    const page = await browser.context.newPage()
    try {
      await page.goto(`${web}/watch/video/${videoId}`)
      const byline = page.locator('.creator-name a')
      await byline.waitFor({ timeout: WAIT_MS })
      assert.equal(await byline.textContent(), NAME)
      await byline.click()
      await page.waitForURL(new RegExp(`/channel/${alice}$`))
      await page.locator('.channel-name', { hasText: NAME }).waitFor({ timeout: WAIT_MS })
      assert.equal(await page.locator('.channel-bio').textContent(), 'Boats at dusk.\n<img src=x onerror="window.__pwned=5">')
      assert.deepEqual(await page.locator('.channel-links a').evaluateAll(as => as.map(a => [a.getAttribute('href'), a.getAttribute('rel')])), [['https://example.org/harbour', 'noopener noreferrer nofollow']])
      const cards = page.locator(`[aria-label^="Videos by"] a[data-video="${videoId}"]`)
      await cards.waitFor({ timeout: WAIT_MS })
      assert.equal(await page.locator('.card-meta .creator').first().textContent(), NAME)
      await page.locator('.channel-avatar img').waitFor({ timeout: WAIT_MS })
      await assertInert(page)
      await screenshots(page, 'channel')
      await assertAccessible(page, 'channel')
      await page.goto(`${web}/channel/${strangerKey.address}`)
      await page.locator('.notice code', { hasText: 'ERR_CHANNEL_NOT_FOUND' }).waitFor({ timeout: WAIT_MS })
      assert.equal(await page.getByText('Harbour Films (official)').count(), 0)
    } finally {
      await page.close()
    }
  })
})
