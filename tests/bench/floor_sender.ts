/**
 * The floor of `deno task bench --floor`: a bare sender of every-second ticks, with none
 * of a node's scheduling. It encodes its share of the ticks of each second of the window
 * ahead (as a node prepares them), waits for the second on the local clock (a timer, then
 * the last 3 ms in a loop, as a node does), and publishes them all at once through the
 * node's own acknowledged sender (`StreamSender`: the same bytes, the same acks).
 *
 *   deno run --allow-net --allow-read --allow-env tests/bench/floor_sender.ts \
 *     <url> <schedules> <part> <parts> <from ms> <to ms>
 *
 * It sends the ticks of the keys `k<i>` with `i % parts === part`, from the first second
 * it can (up to 2 s before the window, as nodes fire before it: the bench writes their
 * definitions 2 s before) through the window's last, and prints what was stored and what
 * failed.
 *
 * @module
 */

import { connect } from "@nats-io/transport-node";
import { NamespaceNames } from "../../lib/nats/names.ts";
import { EARLY } from "../../lib/node/node.ts";
import {
  type EncodedMessage,
  StreamSender,
} from "../../lib/nats/stream_sender.ts";
import { jobTickJson, tickJobFields } from "../../lib/wire/mod.ts";
import { NAMESPACE, SECOND, sleep } from "./_util.ts";

/** How long before its second a second's ticks are encoded, in ms. */
const ENCODE_AHEAD = 600;

const [url, schedules, part, parts, from, to] = Deno.args;
const names = new NamespaceNames(NAMESPACE);
const nc = await connect({ servers: url });
const sender = new StreamSender(nc, names.jobStream, 10 * SECOND);
const fields = tickJobFields({
  mode: "HTTP",
  spec: "* * * * * *",
  option: { url: "http://127.0.0.1:9/tick" },
});
const keys: string[] = [];
for (let i = Number(part); i < Number(schedules); i += Number(parts)) {
  keys.push(`k${i}`);
}

let stored = 0, failed = 0, sent = 0;
const outcome = { answered: () => stored++, failed: () => failed++ };
const first = Math.max(
  Number(from) - 2 * SECOND,
  Math.ceil((Date.now() + ENCODE_AHEAD) / SECOND) * SECOND,
);
for (let at = first; at <= Number(to); at += SECOND) {
  await sleep(at - ENCODE_AHEAD - Date.now());
  const messages: EncodedMessage[] = keys.map((key) =>
    sender.encode(
      names.jobSubject(key, 0),
      jobTickJson(
        { namespace: NAMESPACE, key, index: 0, revision: 1 },
        fields,
        new Date(at),
      ),
      names.tickId(key, 0, at),
    )
  );
  await sleep(at - EARLY - Date.now());
  while (Date.now() < at) { /* the last milliseconds, exactly */ }
  for (const message of messages) sender.send(message, outcome);
  sent += messages.length;
}
const deadline = Date.now() + 10 * SECOND;
while (stored + failed < sent && Date.now() < deadline) await sleep(50);
console.log(JSON.stringify({ part: Number(part), stored, failed }));
sender.close();
await nc.close();
