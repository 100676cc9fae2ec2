import assert from "node:assert/strict";
import { deliveryOf } from "./_util.ts";

const delivery = {
  streamSeq: 1042,
  consumerSeq: 17,
  created: 1795807016145,
  pending: 0,
};

Deno.test("deliveryOf reads the old form of nine tokens", () => {
  assert.deepEqual(
    deliveryOf("$JS.ACK.KV_b.C7AqpGT1.1.1042.17.1795807016145565340.0"),
    delivery,
  );
});

Deno.test("deliveryOf reads the new form, with a domain and an account hash, with and without its last token", () => {
  const reply =
    "$JS.ACK.hub.ACCHASH.KV_b.C7AqpGT1.1.1042.17.1795807016145565340.0";
  assert.deepEqual(deliveryOf(reply), delivery);
  assert.deepEqual(deliveryOf(`${reply}.x7Yq`), delivery);
});

Deno.test("deliveryOf refuses a subject that is not a JetStream delivery", () => {
  assert.throws(() => deliveryOf("_INBOX.abc.def"), /not a JetStream message/);
  assert.throws(
    () => deliveryOf("$JS.ACK.KV_b.C1.1.2"),
    /not a JetStream message/,
  );
});

Deno.test("deliveryOf refuses a reply subject whose numbers are not digits", () => {
  assert.throws(
    () => deliveryOf("$JS.ACK.KV_b.C1.1.x.17.1795807016145565340.0"),
    /not a JetStream message/,
  );
  assert.throws(
    () => deliveryOf("$JS.ACK.KV_b.C1.1.1042.17.123.0"),
    /not a JetStream message/,
  );
});
