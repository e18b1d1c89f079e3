// End-to-end run of @platformatic/kafka through kafka-psc-proxy (driven by
// tests/integration/kfake_node_client_test.cpp). Usage:
//   node e2e.mjs BOOTSTRAP_HOST:PORT TOPIC GROUP COUNT [PAUSE_MS]
// PAUSE_MS spreads the produce batches over time (leader moves under load); each pause also
// reads the topic's leaders afresh (Metadata through the proxy), reported as `leaders`
// (partition -> every leader id seen), so the test can tell that leaders really moved.
// Prints one JSON line on stdout: every host:port the client learned or dialed, the
// messages consumed, the committed offsets, and the outcome of each step. Exit 0 when every
// step ran (the C++ test judges the content), 1 on any error.
import net from 'node:net'
import { syncBuiltinESMExports } from 'node:module'

// @platformatic/kafka uses Promise.withResolvers (Node 22+); define it on Node 20.
if (!Promise.withResolvers) {
  Promise.withResolvers = () => {
    let resolve, reject
    const promise = new Promise((a, b) => { resolve = a; reject = b })
    return { promise, resolve, reject }
  }
}

// Record every address the client dials: whatever it learned, from any response, shows up
// here when it connects. Patched before the library is imported, so its named import of
// createConnection sees the wrapper.
const dialed = new Set()
const originalCreateConnection = net.createConnection
net.createConnection = function (...args) {
  const o = typeof args[0] === 'object' ? args[0] : { port: args[0], host: args[1] }
  dialed.add(`${o.host}:${o.port}`)
  return originalCreateConnection.apply(this, args)
}
net.connect = net.createConnection
syncBuiltinESMExports()

const kafka = await import('@platformatic/kafka')
const { Admin, Producer, Consumer, Connection, stringSerializers, stringDeserializers } = kafka

const [bootstrap, topic, group, countArg, pauseArg] = process.argv.slice(2)
const count = Number(countArg ?? 100)
const pauseMs = Number(pauseArg ?? 0)
const result = { learned: [], dialed: [], leaders: {}, metadata: [], describeCluster: {}, findCoordinator: [], consumed: [], committed: [], steps: [] }
const learned = new Set()
const step = name => result.steps.push(name)

const clients = []
try {
  const admin = new Admin({ clientId: 'kpp-node-admin', bootstrapBrokers: [bootstrap] })
  clients.push(admin)
  const md = await admin.metadata({ topics: [topic] })
  for (const [id, b] of md.brokers) {
    learned.add(`${b.host}:${b.port}`)
    result.metadata.push({ id, host: b.host, port: b.port })
  }
  result.partitions = md.topics.get(topic)?.partitionsCount ?? md.topics.get(topic)?.partitions?.length ?? null
  step('metadata')

  // DescribeCluster is not an Admin method in this client; its protocol layer has v0/v1.
  const [host, port] = [bootstrap.slice(0, bootstrap.lastIndexOf(':')), Number(bootstrap.slice(bootstrap.lastIndexOf(':') + 1))]
  for (const [v, call] of [[0, c => kafka.describeClusterV0.api.async(c, false)], [1, c => kafka.describeClusterV1.api.async(c, false, 1)]]) {
    const conn = new Connection('kpp-node-raw')
    await conn.connect(host, port)
    const dc = await call(conn)
    result.describeCluster[`v${v}`] = dc.brokers.map(b => ({ id: b.brokerId, host: b.host, port: b.port }))
    for (const b of dc.brokers) learned.add(`${b.host}:${b.port}`)
    await conn.close()
  }
  step('describeCluster')

  const producer = new Producer({ clientId: 'kpp-node-producer', bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true, acks: -1 })
  clients.push(producer)
  const messages = []
  for (let i = 0; i < count; i++) messages.push({ topic, key: `k${i}`, value: `node-${i}` })
  for (let i = 0; i < messages.length; i += 25) {
    await producer.send({ messages: messages.slice(i, i + 25) })
    if (pauseMs > 0) {
      await new Promise(resolve => setTimeout(resolve, pauseMs))
      const now = await admin.metadata({ topics: [topic], forceUpdate: true })
      now.topics.get(topic)?.partitions.forEach((p, i) => {
        const seen = new Set(result.leaders[i] ?? [])
        seen.add(p.leader)
        result.leaders[i] = [...seen]
      })
      for (const [, b] of now.brokers) learned.add(`${b.host}:${b.port}`)
    }
  }
  step('produce')

  const consumer = new Consumer({ clientId: 'kpp-node-consumer', groupId: group, bootstrapBrokers: [bootstrap], deserializers: stringDeserializers })
  clients.push(consumer)
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTime: 200 })
  const last = new Map()
  for await (const m of stream) {
    result.consumed.push(m.value)
    last.set(m.partition, m)
    if (result.consumed.length >= count) break
  }
  for (const m of last.values()) await m.commit()
  await stream.close()
  step('consume+commit')

  const fc = await admin.findCoordinator({ keyType: 0, keys: [group, `${group}-other`] })
  for (const c of fc) {
    learned.add(`${c.host}:${c.port}`)
    result.findCoordinator.push({ key: c.key, id: c.nodeId, host: c.host, port: c.port })
  }
  const offsets = await admin.listConsumerGroupOffsets({ groups: [group] })
  for (const g of offsets) for (const t of g.topics) for (const p of t.partitions) result.committed.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) })
  step('offsets')
} catch (err) {
  result.error = String(err?.stack ?? err)
}
for (const c of clients.reverse()) await Promise.resolve().then(() => c.close()).catch(() => {})
result.learned = [...learned]
result.dialed = [...dialed]
process.stdout.write(JSON.stringify(result) + '\n')
process.exit(result.error ? 1 : 0)
