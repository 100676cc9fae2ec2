import assert from "node:assert/strict";
import { describeSpec } from "./describe.ts";

Deno.test("describeSpec() reads 6 fields, descriptors, @every, and gives up quietly", () => {
  assert.equal(describeSpec("*/5 * * * * *"), "Every 5 seconds");
  assert.equal(describeSpec("0 0 12 1 * *"), "At 12:00, on day 1 of the month");
  assert.equal(describeSpec("TZ=UTC @hourly"), "Every hour, at minute 0");
  assert.equal(describeSpec("@every 15s"), "Every 15s");
  assert.equal(describeSpec("@reboot"), "");
  assert.equal(describeSpec("not a spec"), "");
});
