import assert from "node:assert/strict";
import { validateTimeZone, wallClock, Zone } from "./zone.ts";
import { InvalidTimeZoneError } from "../errors.ts";

Deno.test("zone names: IANA, case-sensitive, aliases, no offsets or host names", () => {
  for (
    const name of [
      "Europe/Paris",
      "US/Eastern",
      "Asia/Calcutta",
      "Zulu",
      "Etc/GMT+5",
      "EST5EDT",
      "UTC",
      "Factory",
    ]
  ) {
    validateTimeZone(name);
  }
  for (
    const name of [
      "utc",
      "europe/paris",
      "+05:30",
      "-03",
      "UTC+1",
      "Z",
      "Local",
      "localtime",
      "posix/Europe/Berlin",
      "right/UTC",
      "Mars/Olympus",
      "../UTC",
    ]
  ) {
    assert.throws(() => validateTimeZone(name), InvalidTimeZoneError, name);
  }
});

const at = (iso: string) => Date.parse(iso) / 1000;

Deno.test("offsets and changes, LMT seconds included", () => {
  const paris = Zone.of("Europe/Paris");
  assert.equal(paris.offset(at("1900-01-01T00:00:00Z")), 561); // +00:09:21
  const apia = Zone.of("Pacific/Apia");
  const skip = at("2011-12-30T10:00:00Z");
  assert.equal(apia.offset(skip - 1), -10 * 3600);
  assert.equal(apia.offset(skip), 14 * 3600);
  assert.equal(apia.nextChange(skip - 86_400, skip + 86_400), skip);
  assert.deepEqual(apia.lastChange(skip + 5), { at: skip, before: -10 * 3600 });
  assert.equal(apia.nextChange(skip, skip + 86_400), Infinity);
});

Deno.test("fixed zones are known as fixed", () => {
  assert.equal(Zone.of("UTC").fixed, 0);
  assert.equal(Zone.of("Etc/GMT-14").fixed, 14 * 3600);
  assert.equal(Zone.of("Factory").fixed, 0);
  assert.equal(Zone.of("Europe/Paris").fixed, undefined);
  assert.equal(Zone.of("Europe/Paris"), Zone.of("Europe/Paris"));
});

Deno.test("offsets past year 3000 follow the zone's last rule", () => {
  const paris = Zone.of("Europe/Paris");
  assert.equal(paris.offset(at("3001-07-01T00:00:00Z")), 7200);
  assert.equal(paris.offset(at("3001-01-01T00:00:00Z")), 3600);
});

Deno.test("wallClock() shows only zone names validateTimeZone accepts (each other spelling was a formatter kept)", () => {
  const at = new Date("2025-01-15T12:00:00Z");
  assert.equal(wallClock(at, "Europe/Paris").text, "2025-01-15 13:00:00");
  assert.equal(wallClock(at, "US/Eastern").offset, "-05:00");
  assert.equal(wallClock(at, "UTC").offset, "+00:00");
  for (const name of ["eUrOpE/pArIs", "utc", "Mars/Olympus", "+02:00"]) {
    assert.throws(() => wallClock(at, name), InvalidTimeZoneError, name);
  }
});
