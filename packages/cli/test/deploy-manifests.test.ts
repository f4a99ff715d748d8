// deploy/: the Kubernetes manifests, the compose file and the Dockerfile hold together. No container
// engine or cluster runs here, so these are structural checks (what refers to what, non-root,
// probes), not a schema validation by the API server (deploy/README.md says what was run).
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { parseAllDocuments, parse } from 'yaml'
import { DEPLOY_DIR } from '../src/monitoring.ts'

type Obj = Record<string, any>

const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1', Secret: 'v1', Service: 'v1', StatefulSet: 'apps/v1', ServiceMonitor: 'monitoring.coreos.com/v1'
}

async function k8sObjects (): Promise<Obj[]> {
  const dir = join(DEPLOY_DIR, 'k8s')
  const out: Obj[] = []
  for (const f of (await readdir(dir)).filter(f => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(await readFile(join(dir, f), 'utf8'))) {
      assert.deepEqual(doc.errors, [], f)
      const o = doc.toJS() as Obj | null
      if (o !== null) out.push(o)
    }
  }
  return out
}

const subset = (a: Obj, b: Obj): boolean => Object.entries(a).every(([k, v]) => b[k] === v)

describe('deploy/k8s', () => {
  it('has only known kinds, each with its apiVersion, a name and the namespace', async () => {
    const objs = await k8sObjects()
    assert.ok(objs.length >= 5)
    for (const o of objs) {
      assert.equal(o.apiVersion, API_VERSIONS[o.kind], `${o.kind} ${o.metadata?.name}`)
      assert.match(o.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'p2pdv')
    }
  })

  it('runs the nodes as a non-root StatefulSet with a volume each, probes on named ports, and services that match', async () => {
    const objs = await k8sObjects()
    const sts = objs.find(o => o.kind === 'StatefulSet')!
    const pod = sts.spec.template.spec
    assert.ok(subset(sts.spec.selector.matchLabels, sts.spec.template.metadata.labels))
    assert.equal(pod.securityContext.runAsNonRoot, true)
    assert.notEqual(pod.securityContext.runAsUser, 0)
    const [c] = pod.containers as Obj[]
    assert.ok(c !== undefined && typeof c.image === 'string')
    assert.equal(c.securityContext.allowPrivilegeEscalation, false)
    const ports = new Set((c.ports as Obj[]).map(p => p.name))
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      assert.ok(ports.has(c[probe].httpGet.port), probe)
    }
    assert.equal(c.livenessProbe.httpGet.path, '/healthz')
    assert.equal(c.readinessProbe.httpGet.path, '/readyz')
    const volumes = new Set([...(pod.volumes as Obj[]).map(v => v.name), ...(sts.spec.volumeClaimTemplates as Obj[]).map(v => v.metadata.name)])
    for (const m of c.volumeMounts as Obj[]) assert.ok(volumes.has(m.name), m.name)
    assert.ok((c.volumeMounts as Obj[]).some(m => m.mountPath === '/data' && (sts.spec.volumeClaimTemplates as Obj[]).some(v => v.metadata.name === m.name)))
    // The passphrase file the node is told to read is the mounted Secret, which exists.
    const secretVolume = (pod.volumes as Obj[]).find(v => v.secret !== undefined)!
    assert.ok(objs.some(o => o.kind === 'Secret' && o.metadata.name === secretVolume.secret.secretName))
    const mount = (c.volumeMounts as Obj[]).find(m => m.name === secretVolume.name)!
    assert.ok((c.args as string[])[(c.args as string[]).indexOf('--passphrase-file') + 1]!.startsWith(mount.mountPath + '/'))
    const services = objs.filter(o => o.kind === 'Service')
    assert.ok(services.some(s => s.metadata.name === sts.spec.serviceName && s.spec.clusterIP === 'None'), 'serviceName is a headless Service')
    for (const s of services) {
      assert.ok(subset(s.spec.selector, sts.spec.template.metadata.labels), s.metadata.name)
      for (const p of s.spec.ports as Obj[]) assert.ok(ports.has(p.targetPort), `${s.metadata.name} ${p.targetPort}`)
    }
    const monitor = objs.find(o => o.kind === 'ServiceMonitor')!
    assert.ok(services.some(s => subset(monitor.spec.selector.matchLabels, s.metadata.labels) && (s.spec.ports as Obj[]).some(p => p.name === monitor.spec.endpoints[0].port)))
    assert.equal(monitor.spec.endpoints[0].path, '/metrics')
  })
})

describe('deploy/Dockerfile', () => {
  it('is multi-stage, ends as a non-root user, checks health, and serves on the port it exposes', async () => {
    const text = await readFile(join(DEPLOY_DIR, 'Dockerfile'), 'utf8')
    const lines = text.replace(/\\\n/g, ' ').split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
    const known = new Set(['FROM', 'WORKDIR', 'RUN', 'COPY', 'ENV', 'USER', 'VOLUME', 'EXPOSE', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD', 'ARG', 'LABEL'])
    for (const l of lines) assert.ok(known.has(l.split(/\s+/)[0]!), l)
    assert.ok(lines.filter(l => l.startsWith('FROM ')).length >= 2)
    const lastFrom = lines.findLastIndex(l => l.startsWith('FROM '))
    const user = lines.slice(lastFrom).find(l => l.startsWith('USER '))
    assert.ok(user !== undefined && !/^USER\s+(0|root)\b/.test(user))
    assert.ok(lines.some(l => l.startsWith('HEALTHCHECK ') && l.includes('/healthz')))
    const entry = JSON.parse(lines.find(l => l.startsWith('ENTRYPOINT '))!.slice('ENTRYPOINT '.length)) as string[]
    const port = entry[entry.indexOf('--http-port') + 1]
    assert.ok(lines.some(l => l.startsWith('EXPOSE ') && l.split(/\s+/).includes(port!)))
    assert.equal(entry[entry.indexOf('--host') + 1], '0.0.0.0')
    assert.ok(existsSync(join(DEPLOY_DIR, '..', entry[2]!)), 'the entry point exists')
  })
})

describe('deploy/compose.yaml', () => {
  it('mounts files that exist and publishes ports on loopback only', async () => {
    const compose = parse(await readFile(join(DEPLOY_DIR, 'compose.yaml'), 'utf8'), { merge: true }) as Obj
    for (const name of ['anvil', 'node-0', 'node-1', 'node-2', 'prometheus', 'grafana']) assert.ok(compose.services[name] !== undefined, name)
    for (const [name, svc] of Object.entries(compose.services as Record<string, Obj>)) {
      for (const v of (svc.volumes ?? []) as string[]) {
        const source = v.split(':')[0]!
        if (source.startsWith('./')) assert.ok(existsSync(join(DEPLOY_DIR, source)), `${name}: ${source}`)
      }
      for (const p of (svc.ports ?? []) as string[]) assert.match(p, /^127\.0\.0\.1:/, `${name} publishes ${p}`)
    }
    assert.ok(existsSync(join(DEPLOY_DIR, compose.services['node-0'].build.context, compose.services['node-0'].build.dockerfile)))
  })
})
