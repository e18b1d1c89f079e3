// @platformatic/kafka through kafka-psc-proxy with TLS, SASL and SNI (driven by
// tests/integration/node_tls_sasl_test.cpp). Usage:
//   node secure.mjs '<JSON options>'
// Options:
//   bootstrap  "host:port" the client starts from
//   topic, group, count   what to produce and consume (count records, one consumer group)
//   tls        {ca, cert?, key?}: PEM file paths; TLS to the proxy (cert+key: mTLS)
//   sni        true: send the host dialed as the TLS server name (tlsServerName)
//   resolve    {suffix, address}: names ending in suffix resolve to address (the client's own
//              lookup, passed to tls.connect), so SNI and verification keep the name
//   sasl       {mechanism, username, password}: the client logs in (through or to the proxy)
//   expect     "ok" (default): produce, consume, commit; "refused": only try a Metadata and
//              report how the login was refused
// Prints one JSON line on stdout: every host:port learned or dialed, each TLS connection
// (name dialed, server name sent, whether the certificate verified, the address reached),
// each name resolved, the records consumed, and either the steps run or the refusal (Kafka
// error codes found in the error's causes). Exit 0 when the run went as `expect` says.
import net from 'node:net'
import tls from 'node:tls'
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'

// @platformatic/kafka uses Promise.withResolvers (Node 22+); define it on Node 20.
if (!Promise.withResolvers) {
  Promise.withResolvers = () => {
    let resolve, reject
    const promise = new Promise((a, b) => { resolve = a; reject = b })
    return { promise, resolve, reject }
  }
}

const opts = JSON.parse(process.argv[2] ?? '{}')
const result = { learned: [], dialed: [], tls: [], resolved: [], metadata: [], findCoordinator: [], consumed: [], committed: [], steps: [] }
const learned = new Set()
const dialed = new Set()
const step = name => result.steps.push(name)

// Record every address dialed, plaintext and TLS, before the library is imported (its named
// imports of createConnection and tls.connect then see the wrappers).
const originalCreateConnection = net.createConnection
net.createConnection = function (...args) {
  const o = typeof args[0] === 'object' ? args[0] : { port: args[0], host: args[1] }
  dialed.add(`${o.host}:${o.port}`)
  return originalCreateConnection.apply(this, args)
}
net.connect = net.createConnection
const originalTlsConnect = tls.connect
tls.connect = function (...args) {
  const o = typeof args[0] === 'object' ? args[0] : { port: args[0], host: args[1], ...(args[2] ?? {}) }
  dialed.add(`${o.host}:${o.port}`)
  const socket = originalTlsConnect.apply(this, args)
  socket.once('secureConnect', () => {
    result.tls.push({
      host: o.host,
      port: o.port,
      servername: o.servername ?? null,
      authorized: socket.authorized,
      remote: socket.remoteAddress,
      protocol: socket.getProtocol()
    })
  })
  return socket
}
syncBuiltinESMExports()

const kafka = await import('@platformatic/kafka')
const { Admin, Producer, Consumer, stringSerializers, stringDeserializers } = kafka

// The client's connection options: TLS material, the server name, the lookup, SASL.
const base = { bootstrapBrokers: [opts.bootstrap], retries: 2, retryDelay: 300, connectTimeout: 5000, timeout: 10000 }
if (opts.tls) {
  base.tls = { ca: fs.readFileSync(opts.tls.ca) }
  if (opts.tls.cert) base.tls.cert = fs.readFileSync(opts.tls.cert)
  if (opts.tls.key) base.tls.key = fs.readFileSync(opts.tls.key)
  if (opts.resolve) {
    // net.connect calls this for every name that is not an IP (with all: true for its
    // happy-eyeballs dialing); the TLS layer still verifies and sends the name itself.
    base.tls.lookup = (name, options, callback) => {
      if (typeof options === 'function') { callback = options; options = {} }
      if (!name.endsWith(opts.resolve.suffix)) return callback(new Error(`${name} is not under ${opts.resolve.suffix}`))
      result.resolved.push({ name, address: opts.resolve.address })
      if (options.all) callback(null, [{ address: opts.resolve.address, family: 4 }])
      else callback(null, opts.resolve.address, 4)
    }
  }
}
if (opts.sni) base.tlsServerName = true
if (opts.sasl) base.sasl = { ...opts.sasl }
// A refusal is judged on the first attempt (retries would only repeat it, slower each time).
if (opts.expect === 'refused') base.retries = 0

// Every Kafka error code and id in an error's causes (AggregateError-like `errors`, `cause`).
function kafkaErrors (err, out = { codes: [], ids: [], messages: [] }, depth = 0) {
  if (!err || typeof err !== 'object' || depth > 8) return out
  if (typeof err.apiCode === 'number' && !out.codes.includes(err.apiCode)) out.codes.push(err.apiCode)
  if (typeof err.apiId === 'string' && !out.ids.includes(err.apiId)) out.ids.push(err.apiId)
  if (err.message && out.messages.length < 8) out.messages.push(`${err.constructor?.name}: ${err.message}`)
  if (Array.isArray(err.errors)) for (const e of err.errors) kafkaErrors(e, out, depth + 1)
  if (err.cause) kafkaErrors(err.cause, out, depth + 1)
  return out
}

const clients = []
let ok = false
try {
  const admin = new Admin({ ...base, clientId: 'kpp-node-admin' })
  clients.push(admin)
  if (opts.expect === 'refused') {
    try {
      await admin.metadata({ topics: [opts.topic] })
      step('metadata')
    } catch (err) {
      result.refusal = kafkaErrors(err)
      step('refused')
      ok = true
    }
  } else {
    const count = Number(opts.count ?? 50)
    const md = await admin.metadata({ topics: [opts.topic] })
    for (const [id, b] of md.brokers) {
      learned.add(`${b.host}:${b.port}`)
      result.metadata.push({ id, host: b.host, port: b.port })
    }
    step('metadata')

    const producer = new Producer({ ...base, clientId: 'kpp-node-producer', serializers: stringSerializers, idempotent: true, acks: -1 })
    clients.push(producer)
    const messages = []
    for (let i = 0; i < count; i++) messages.push({ topic: opts.topic, key: `k${i}`, value: `node-${i}` })
    for (let i = 0; i < messages.length; i += 25) await producer.send({ messages: messages.slice(i, i + 25) })
    step('produce')

    const consumer = new Consumer({ ...base, clientId: 'kpp-node-consumer', groupId: opts.group, deserializers: stringDeserializers })
    clients.push(consumer)
    const stream = await consumer.consume({ topics: [opts.topic], mode: 'earliest', autocommit: false, sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTime: 200 })
    const last = new Map()
    for await (const m of stream) {
      result.consumed.push(m.value)
      last.set(m.partition, m)
      if (result.consumed.length >= count) break
    }
    for (const m of last.values()) await m.commit()
    await stream.close()
    step('consume+commit')

    const fc = await admin.findCoordinator({ keyType: 0, keys: [opts.group] })
    for (const c of fc) {
      learned.add(`${c.host}:${c.port}`)
      result.findCoordinator.push({ key: c.key, id: c.nodeId, host: c.host, port: c.port })
    }
    const offsets = await admin.listConsumerGroupOffsets({ groups: [opts.group] })
    for (const g of offsets) for (const t of g.topics) for (const p of t.partitions) result.committed.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) })
    step('offsets')
    ok = true
  }
} catch (err) {
  result.error = String(err?.stack ?? err)
  result.errorKafka = kafkaErrors(err)
}
for (const c of clients.reverse()) await Promise.resolve().then(() => c.close()).catch(() => {})
result.learned = [...learned]
result.dialed = [...dialed]
process.stdout.write(JSON.stringify(result) + '\n')
process.exit(ok ? 0 : 1)
