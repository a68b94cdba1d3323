// Reads an MCAP file with Foxglove's own readers and prints what it found as one JSON object.
// Usage: node check.mjs FILE
import { open, readFile } from "node:fs/promises";
import { McapStreamReader, McapIndexedReader } from "@mcap/core";
import { FileHandleReadable } from "@mcap/nodejs";
import { loadDecompressHandlers } from "@mcap/support";
import { crc32 } from "@foxglove/crc";
import Ajv from "ajv";
import foxgloveSchemas from "@foxglove/schemas/jsonschema.js";

const file = process.argv[2];
const decompressHandlers = await loadDecompressHandlers();
const bytes = await readFile(file);
const report = { stream: { records: {}, messages: {} }, indexed: {} };

// 1. Every record, front to back, chunk CRCs validated.
const stream = new McapStreamReader({ decompressHandlers, validateCrcs: true, includeChunks: true });
stream.append(bytes);
const topics = new Map();
for (let rec; (rec = stream.nextRecord()); ) {
  report.stream.records[rec.type] = (report.stream.records[rec.type] ?? 0) + 1;
  if (rec.type === "Channel") topics.set(rec.id, rec.topic);
  if (rec.type === "Message") {
    const t = topics.get(rec.channelId);
    report.stream.messages[t] = (report.stream.messages[t] ?? 0) + 1;
  }
}
report.stream.done = stream.done();

// 2. Through the summary and indexes, as Foxglove opens a file.
const handle = await open(file, "r");
const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers });
const ix = report.indexed;
ix.chunkIndexes = reader.chunkIndexes.length;
ix.chunksWithMessageIndexes = reader.chunkIndexes.filter((c) => c.messageIndexOffsets.size > 0).length;
ix.statistics = reader.statistics ? { messageCount: Number(reader.statistics.messageCount), channelCount: reader.statistics.channelCount, chunkCount: reader.statistics.chunkCount } : null;
ix.summaryOffsets = [...reader.summaryOffsetsByOpcode.keys()];
ix.channels = Object.fromEntries([...reader.channelsById.values()].map((c) => {
  const s = reader.schemasById.get(c.schemaId);
  return [c.topic, { messageEncoding: c.messageEncoding, schema: s?.name ?? null, schemaEncoding: s?.encoding ?? null }];
}));
// Every JSON message is checked against its channel's schema: Foxglove's published one for foxglove.* schemas
// (@foxglove/schemas), else the JSON Schema the file carries.
const ajv = new Ajv({ strict: false, allErrors: false });
const validators = new Map();
function validatorFor(channel) {
  if (!validators.has(channel.id)) {
    const s = reader.schemasById.get(channel.schemaId);
    let v = null;
    if (channel.messageEncoding === "json" && s) {
      const official = s.name.startsWith("foxglove.") ? foxgloveSchemas[s.name.slice("foxglove.".length)] : undefined;
      if (s.name.startsWith("foxglove.") && !official) throw new Error(`${s.name} is not a Foxglove schema`);
      v = ajv.compile(official ?? JSON.parse(new TextDecoder().decode(s.data)));
    }
    validators.set(channel.id, v);
  }
  return validators.get(channel.id);
}
ix.invalid = {};
ix.messages = {};
ix.monotonic = {};
ix.first = {};
const last = new Map();
for await (const m of reader.readMessages({ validateCrcs: true })) {
  const t = reader.channelsById.get(m.channelId).topic;
  ix.messages[t] = (ix.messages[t] ?? 0) + 1;
  const prev = last.get(t);
  if (ix.monotonic[t] === undefined) ix.monotonic[t] = true;
  if (prev !== undefined && m.logTime < prev) ix.monotonic[t] = false;
  last.set(t, m.logTime);
  const channel = reader.channelsById.get(m.channelId);
  const validate = validatorFor(channel);
  if (validate && !validate(JSON.parse(new TextDecoder().decode(m.data)))) {
    ix.invalid[t] = (ix.invalid[t] ?? 0) + 1;
    ix.invalidExample ??= { topic: t, errors: validate.errors };
  }
  if (!(t in ix.first)) {
    const enc = reader.channelsById.get(m.channelId).messageEncoding;
    ix.first[t] = enc === "json" ? JSON.parse(new TextDecoder().decode(m.data)) : { bytes: m.data.length };
  }
}
// 3. The data section CRC, computed here over the file's own bytes.
ix.dataSectionCrcMatches = reader.dataSectionCrc === undefined ? null : crc32(bytes.subarray(0, Number(reader.dataEndOffset))) === reader.dataSectionCrc;
await handle.close();
console.log(JSON.stringify(report, (k, v) => (typeof v === "bigint" ? Number(v) : v)));
