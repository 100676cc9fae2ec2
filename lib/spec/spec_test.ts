import assert from "node:assert/strict";
import { MAX_NEXT_RUNS, nextRuns, parseSpec } from "./spec.ts";
import { InvalidSpecError, InvalidTimeZoneError } from "../errors.ts";

const iso = (dates: Date[]) =>
  dates.map((d) => d.toISOString().replace(".000", ""));

// [spec, from, expected fire times]
const TABLE: [string, string, string[]][] = [
  ["* * * * * *", "2024-01-01T00:00:00Z", [
    "2024-01-01T00:00:01Z",
    "2024-01-01T00:00:02Z",
  ]],
  ["* * * * * *", "2024-01-01T00:00:00.400Z", [
    "2024-01-01T00:00:01Z",
    "2024-01-01T00:00:02Z",
  ]],
  ["*/15 * * * * *", "2024-01-01T00:00:07Z", [
    "2024-01-01T00:00:15Z",
    "2024-01-01T00:00:30Z",
  ]],
  ["5/20 * * * * *", "2024-01-01T00:00:00Z", [
    "2024-01-01T00:00:05Z",
    "2024-01-01T00:00:25Z",
  ]],
  ["0 0-10/5 * * * *", "2024-01-01T00:00:00Z", [
    "2024-01-01T00:05:00Z",
    "2024-01-01T00:10:00Z",
  ]],
  ["0 30 9 * * MON-FRI", "2024-01-05T12:00:00Z", [
    "2024-01-08T09:30:00Z",
    "2024-01-09T09:30:00Z",
  ]],
  ["0 0 12 * jan,FEB sun", "2024-01-01T00:00:00Z", [
    "2024-01-07T12:00:00Z",
    "2024-01-14T12:00:00Z",
  ]],
  // five fields: seconds are 0
  ["30 9 * * *", "2024-01-01T10:00:00Z", [
    "2024-01-02T09:30:00Z",
    "2024-01-03T09:30:00Z",
  ]],
  // month ends: the 31st only in months that have one
  ["0 0 0 31 * *", "2024-01-31T00:00:00Z", [
    "2024-03-31T00:00:00Z",
    "2024-05-31T00:00:00Z",
  ]],
  // leap days
  ["0 0 0 29 2 *", "2024-01-01T00:00:00Z", [
    "2024-02-29T00:00:00Z",
    "2028-02-29T00:00:00Z",
  ]],
  // dom and dow both restricted: either matches (Jan 1 2024 is a Monday)
  ["0 0 0 15 * MON", "2024-01-01T00:00:00Z", [
    "2024-01-08T00:00:00Z",
    "2024-01-15T00:00:00Z",
    "2024-01-22T00:00:00Z",
  ]],
  // a day field holding * or */1 or ? is unrestricted: the other field decides
  ["0 0 0 */1 * MON", "2024-01-01T00:00:00Z", [
    "2024-01-08T00:00:00Z",
    "2024-01-15T00:00:00Z",
  ]],
  ["0 0 0 ? * MON", "2024-01-01T00:00:00Z", [
    "2024-01-08T00:00:00Z",
    "2024-01-15T00:00:00Z",
  ]],
  ["0 0 0 1 * *", "2024-01-01T00:00:00Z", [
    "2024-02-01T00:00:00Z",
    "2024-03-01T00:00:00Z",
  ]],
  ["0 0 0 1 * */1", "2024-01-01T00:00:00Z", [
    "2024-02-01T00:00:00Z",
    "2024-03-01T00:00:00Z",
  ]],
  // */2 is a restriction (robfig): odd days or Mondays
  ["0 0 0 */2 * MON", "2024-01-01T00:00:00Z", [
    "2024-01-03T00:00:00Z",
    "2024-01-05T00:00:00Z",
    "2024-01-07T00:00:00Z",
    "2024-01-08T00:00:00Z",
  ]],
  // descriptors
  ["@yearly", "2024-03-01T00:00:00Z", ["2025-01-01T00:00:00Z"]],
  ["@annually", "2024-03-01T00:00:00Z", ["2025-01-01T00:00:00Z"]],
  ["@monthly", "2024-03-01T00:00:00Z", ["2024-04-01T00:00:00Z"]],
  ["@weekly", "2024-01-01T00:00:00Z", ["2024-01-07T00:00:00Z"]],
  ["@daily", "2024-01-01T00:00:00Z", ["2024-01-02T00:00:00Z"]],
  ["@midnight", "2024-01-01T00:00:00Z", ["2024-01-02T00:00:00Z"]],
  ["@hourly", "2024-01-01T00:00:00Z", ["2024-01-01T01:00:00Z"]],
  // @every counts from the anchor (here: the from time, to the second)
  ["@every 15s", "2024-01-01T00:00:00Z", [
    "2024-01-01T00:00:15Z",
    "2024-01-01T00:00:30Z",
  ]],
  ["@every 1m30s", "2024-01-01T00:00:00.700Z", [
    "2024-01-01T00:01:30Z",
    "2024-01-01T00:03:00Z",
  ]],
  ["@every 1.5h", "2024-01-01T00:00:00Z", ["2024-01-01T01:30:00Z"]],
  ["@every 500ms", "2024-01-01T00:00:00Z", [
    "2024-01-01T00:00:01Z",
    "2024-01-01T00:00:02Z",
  ]],
  ["@every 1.5s", "2024-01-01T00:00:00Z", [
    "2024-01-01T00:00:01Z",
    "2024-01-01T00:00:02Z",
  ]],
  // zones, by prefix
  ["CRON_TZ=Europe/Paris 0 30 9 * * *", "2024-01-01T00:00:00Z", [
    "2024-01-01T08:30:00Z",
  ]],
  ["TZ=Asia/Tokyo @daily", "2024-01-01T00:00:00Z", ["2024-01-01T15:00:00Z"]],
  // DST, New York: spring forward 2024-03-10 02:00 EST -> 03:00 EDT; 02:30 does not exist
  ["TZ=America/New_York 0 30 2 * * *", "2024-03-09T12:00:00Z", [
    "2024-03-11T06:30:00Z",
    "2024-03-12T06:30:00Z",
  ]],
  ["TZ=America/New_York 0 0 * * * *", "2024-03-10T05:30:00Z", [
    "2024-03-10T06:00:00Z",
    "2024-03-10T07:00:00Z",
    "2024-03-10T08:00:00Z",
  ]],
  // fall back 2024-11-03 02:00 EDT -> 01:00 EST: wall times 01:xx happen twice
  ["TZ=America/New_York 0 0 * * * *", "2024-11-03T04:30:00Z", [
    "2024-11-03T05:00:00Z",
    "2024-11-03T06:00:00Z",
    "2024-11-03T07:00:00Z",
  ]],
  ["TZ=America/New_York 0 30 1 * * *", "2024-11-03T00:00:00Z", [
    "2024-11-03T05:30:00Z",
    "2024-11-03T06:30:00Z",
    "2024-11-04T06:30:00Z",
  ]],
  ["TZ=America/New_York * * * * * *", "2024-11-03T05:59:58Z", [
    "2024-11-03T05:59:59Z",
    "2024-11-03T06:00:00Z",
    "2024-11-03T06:00:01Z",
  ]],
  ["TZ=Europe/Berlin 0 0 12 * * *", "2024-10-26T00:00:00Z", [
    "2024-10-26T10:00:00Z",
    "2024-10-27T11:00:00Z",
  ]],
];

for (const [spec, from, expected] of TABLE) {
  Deno.test(`spec "${spec}" from ${from}`, () => {
    assert.deepEqual(
      iso(nextRuns(spec, expected.length, new Date(from))),
      expected,
    );
  });
}

Deno.test("a tz beside the spec reads it in that zone", () => {
  const spec = parseSpec("0 30 9 * * *", "Europe/Paris");
  assert.equal(
    new Date(spec.next(Date.parse("2024-07-01T00:00:00Z"))!).toISOString(),
    "2024-07-01T07:30:00.000Z",
  );
  assert.equal(spec.timeZone, "Europe/Paris");
});

Deno.test("@every ticks are anchor + k * interval whatever the starting point", () => {
  const spec = parseSpec("@every 10s");
  const anchor = Date.parse("2024-01-01T00:00:03Z");
  assert.equal(spec.next(anchor - 60_000, anchor), anchor + 10_000);
  assert.equal(spec.next(anchor + 25_000, anchor), anchor + 30_000);
  assert.equal(spec.next(anchor + 30_000, anchor), anchor + 40_000);
});

Deno.test("a spec that never fires returns null", () => {
  assert.equal(
    parseSpec("0 0 0 30 2 *").next(Date.parse("2024-01-01T00:00:00Z")),
    null,
  );
});

const ERRORS: [
  string,
  string | undefined,
  typeof InvalidSpecError | typeof InvalidTimeZoneError,
  RegExp,
][] = [
  ["", undefined, InvalidSpecError, /empty/],
  ["* * * *", undefined, InvalidSpecError, /4 fields/],
  ["* * * * * * 2025", undefined, InvalidSpecError, /7 fields/],
  [
    "61 * * * * *",
    undefined,
    InvalidSpecError,
    /"61" in the second field ends above 59/,
  ],
  ["0 0 25 * * *", undefined, InvalidSpecError, /hour field/],
  ["0 0 0 32 * *", undefined, InvalidSpecError, /day of month field/],
  ["0 0 0 * 13 *", undefined, InvalidSpecError, /month field/],
  ["0 0 0 * * 8", undefined, InvalidSpecError, /"8" in the day of week field/],
  ["*/0 * * * * *", undefined, InvalidSpecError, /step of 0/],
  ["0 0 0 L * *", undefined, InvalidSpecError, /"L" in the day of month field/],
  ["0 0 0 * * 5#2", undefined, InvalidSpecError, /"5#2"/],
  ["0 0 0 * foo *", undefined, InvalidSpecError, /foo/],
  ["@often", undefined, InvalidSpecError, /not a descriptor/],
  ["@every", undefined, InvalidSpecError, /not a descriptor/],
  ["@every 0s", undefined, InvalidSpecError, /positive/],
  ["@every -5s", undefined, InvalidSpecError, /positive/],
  ["@every 5 seconds", undefined, InvalidSpecError, /Go duration/],
  ["@every 5d", undefined, InvalidSpecError, /Go duration/],
  ["TZ=UTC", undefined, InvalidSpecError, /followed by a space/],
  ["@Daily", undefined, InvalidSpecError, /lower case/],
  [
    "TZ=Mars/Olympus * * * * * *",
    undefined,
    InvalidTimeZoneError,
    /Mars\/Olympus/,
  ],
  ["* * * * * *", "Nowhere/City", InvalidTimeZoneError, /Nowhere\/City/],
  ["* * * * * *", "", InvalidTimeZoneError, /time zone ""/],
  ["* * * * * *", "europe/paris", InvalidTimeZoneError, /case-sensitive/],
  [
    "TZ=UTC * * * * * *",
    "Europe/Paris",
    InvalidSpecError,
    /give the zone once/,
  ],
];

for (const [spec, tz, type, message] of ERRORS) {
  Deno.test(`spec "${spec}"${tz ? ` in ${tz}` : ""} is rejected`, () => {
    assert.throws(
      () => parseSpec(spec, tz),
      (err: Error) => err instanceof type && message.test(err.message),
    );
  });
}

Deno.test("lax robfig forms are read as robfig reads them", () => {
  const from = new Date("2024-01-01T00:00:00Z");
  for (
    const [lax, strict] of [
      ["*/61 * * * * *", "0 * * * * *"],
      ["1,,2 * * * * *", "1,2 * * * * *"],
      ["+5 * * * * *", "5 * * * * *"],
      ["*-5 * * * * *", "* * * * * *"],
      ["TZ= 0 0 12 * * *", "0 0 12 * * *"],
      ["0 0 0 * * 7", "0 0 0 * * 0"],
      ["0 0 0 * * MON-SUN", "0 0 0 * * *"],
      ["0 0 0 * * 0-SUN", "0 0 0 * * 0"],
    ]
  ) {
    assert.deepEqual(nextRuns(lax, 3, from), nextRuns(strict, 3, from), lax);
  }
});

Deno.test("a spec that never fires gives no runs, at once", () => {
  for (
    const spec of ["0 0 0 31 4,6,9,11 *", "0 0 0 30,31 2 *", ", * * * * *"]
  ) {
    assert.deepEqual(nextRuns(spec, 5, new Date(0)), [], spec);
  }
});

Deno.test("no search limit: Feb 29 from 2097 is in 2104", () => {
  assert.deepEqual(
    iso(nextRuns("0 0 0 29 2 *", 1, new Date("2097-01-01T00:00:00Z"))),
    ["2104-02-29T00:00:00Z"],
  );
});

Deno.test("Feb 29-31 never roll into March", () => {
  assert.deepEqual(
    iso(nextRuns("0 0 9 1 * MON", 2, new Date("2026-02-24T00:00:00Z"))),
    ["2026-03-01T09:00:00Z", "2026-03-02T09:00:00Z"],
  );
});

// America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST
const DST: [string, string, "exact" | "once", string[]][] = [
  ["0 30 2 * * *", "2026-03-08T00:00:00Z", "once", [
    "2026-03-08T07:00:00Z",
    "2026-03-09T06:30:00Z",
  ]],
  ["0 30 2 * * *", "2026-03-08T00:00:00Z", "exact", [
    "2026-03-09T06:30:00Z",
    "2026-03-10T06:30:00Z",
  ]],
  ["0 30 1 * * *", "2026-11-01T00:00:00Z", "once", [
    "2026-11-01T05:30:00Z",
    "2026-11-02T06:30:00Z",
  ]],
  ["0 30 1 * * *", "2026-11-01T00:00:00Z", "exact", [
    "2026-11-01T05:30:00Z",
    "2026-11-01T06:30:00Z",
  ]],
  // from inside the repeated hour: under "once" its walls already fired
  ["0 */20 * * * *", "2026-11-01T06:10:00Z", "once", [
    "2026-11-01T07:00:00Z",
    "2026-11-01T07:20:00Z",
  ]],
  // the skipped wall times fire once together, at the jump
  ["0 * 2 * * *", "2026-03-08T06:58:00Z", "once", [
    "2026-03-08T07:00:00Z",
    "2026-03-09T06:00:00Z",
    "2026-03-09T06:01:00Z",
  ]],
];

for (const [spec, from, dst, expected] of DST) {
  Deno.test(`dst "${dst}": "${spec}" in New York from ${from}`, () => {
    const runs = nextRuns(
      `TZ=America/New_York ${spec}`,
      expected.length,
      new Date(from),
      { dst },
    );
    assert.deepEqual(iso(runs), expected);
  });
}

Deno.test("nextRuns refuses a from that is not a valid Date, and a bad count", () => {
  for (
    const from of [
      new Date(NaN),
      "2026-01-01" as unknown as Date,
      0 as unknown as Date,
      null as unknown as Date,
    ]
  ) {
    assert.throws(
      () => nextRuns("@every 5s", 2, from),
      (err: Error) =>
        err instanceof InvalidSpecError && /from/.test(err.message),
      String(from),
    );
  }
  for (const count of [0, -1, 1.5, NaN, Infinity, MAX_NEXT_RUNS + 1]) {
    assert.throws(
      () => nextRuns("@hourly", count, new Date(0)),
      (err: Error) =>
        err instanceof InvalidSpecError && /count/.test(err.message),
      String(count),
    );
  }
  // A spec or zone of another type: the typed error, not a TypeError.
  for (const spec of [undefined, null, 5]) {
    assert.throws(
      () => nextRuns(spec as unknown as string, 1),
      InvalidSpecError,
    );
  }
  assert.throws(
    () => parseSpec("@hourly", 5 as unknown as string),
    InvalidTimeZoneError,
  );
  assert.equal(parseSpec("@hourly", undefined, null!).next(0), 3600_000);
  // No time past the last a Date holds.
  assert.deepEqual(nextRuns("0 0 * * * *", 2, new Date(8.64e15)), []);
  assert.equal(nextRuns("* * * * * *", 130_000, new Date(0)).length, 130_000);
});

Deno.test("a zoned spec near either end of the Date range: no time past it, no error", () => {
  assert.deepEqual(
    nextRuns(
      "CRON_TZ=Europe/Paris 0 0 0 29 2 *",
      5,
      new Date("+275760-03-01T00:00:00Z"),
    ),
    [],
  );
  const [first] = nextRuns(
    "CRON_TZ=Europe/Paris @daily",
    1,
    new Date(-8.64e15),
  );
  assert.ok(first.getTime() > -8.64e15);
});

Deno.test("next refuses a time a Date cannot hold, instead of searching for ever", () => {
  const specs = [
    parseSpec("0 0 0 * * *"),
    parseSpec("0 0 0 * * *", "Europe/Paris"),
    parseSpec("@every 1h"),
  ];
  for (const spec of specs) {
    for (const after of [NaN, Infinity, -Infinity, -1e300, 8.64e15 + 1]) {
      assert.throws(
        () => spec.next(after),
        RangeError,
        `${spec.source} ${after}`,
      );
    }
    assert.throws(() => spec.next(0, NaN), RangeError);
    assert.equal(typeof spec.next(0), "number");
  }
});
