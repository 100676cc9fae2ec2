import assert from "node:assert/strict";
import { loadConfig, parseConfig } from "./config.ts";
import { ConfigError } from "../errors.ts";

const SEED = "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4";
const FILE = `
namespace: beta
debug: false
nats:
  hosts:
    - nats://10.0.0.1:4222
    - nats://10.0.0.2:4222
  nkey: ${SEED}
`;

Deno.test("parseConfig() reads the original config file format", () => {
  assert.deepEqual(parseConfig(FILE, {}), {
    namespace: "beta",
    log: { level: "info", format: "json" },
    catchup: 60_000,
    clock: { maxOffset: 1000 },
    http: { port: 8080 },
    console: { port: 8090, hostname: "127.0.0.1" },
    worker: {
      concurrency: 8,
      timeout: 30_000,
      maxAttempts: 5,
      retryDelay: 1000,
      maxRetryDelay: 300_000,
      ackWait: 30_000,
    },
    nats: {
      hosts: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"],
      nkey: SEED,
    },
  });
});

Deno.test("parseConfig() reads the worker section, with environment overrides", () => {
  const text = `${FILE}
worker:
  concurrency: 2
  timeout: 10s
  maxAttempts: 3
  allowHosts: [api.example.com]
`;
  const config = parseConfig(text, { SCHEDULE_WORKER_MAX_ATTEMPTS: "7" });
  assert.equal(config.worker.concurrency, 2);
  assert.equal(config.worker.timeout, 10_000);
  assert.equal(config.worker.maxAttempts, 7);
  assert.deepEqual(config.worker.allowHosts, ["api.example.com"]);
  assert.equal(config.worker.allowNetworks, undefined);
  assert.equal(config.worker.secretsDir, undefined);
  assert.equal(
    parseConfig(text, { SCHEDULE_WORKER_SECRETS_DIR: "/run/secrets" }).worker
      .secretsDir,
    "/run/secrets",
  );
  const fromEnv = parseConfig(text, {
    SCHEDULE_WORKER_ALLOW_HOSTS: "a.example, *.b.example",
  });
  assert.deepEqual(fromEnv.worker.allowHosts, ["a.example", "*.b.example"]);
});

Deno.test("parseConfig() reads nats.replicas, or SCHEDULE_NATS_REPLICAS", () => {
  const base = "namespace: a\nnats:\n  hosts: [a:1]\n";
  assert.equal(parseConfig(base, {}).nats.replicas, undefined);
  assert.equal(parseConfig(`${base}  replicas: 3\n`, {}).nats.replicas, 3);
  assert.equal(
    parseConfig(`${base}  replicas: 3\n`, { SCHEDULE_NATS_REPLICAS: "1" }).nats
      .replicas,
    1,
  );
});

Deno.test("parseConfig() lets environment variables override the file", () => {
  const config = parseConfig(FILE, {
    SCHEDULE_NAMESPACE: "gamma",
    SCHEDULE_DEBUG: "true",
    SCHEDULE_CATCHUP: "30s",
    SCHEDULE_CLOCK_MAX_OFFSET: "250ms",
    SCHEDULE_NATS_HOSTS: "a:4222, b:4222",
  });
  assert.equal(config.clock.maxOffset, 250);
  assert.equal(
    parseConfig(`${FILE}clock: { maxOffset: 2s }\n`, {}).clock.maxOffset,
    2000,
  );
  assert.equal(config.namespace, "gamma");
  assert.deepEqual(config.log, { level: "debug", format: "text" });
  assert.equal(config.catchup, 30_000);
  assert.deepEqual(config.nats.hosts, ["a:4222", "b:4222"]);
});

Deno.test("parseConfig() reads log.level and log.format, after the deprecated debug", () => {
  const base = "namespace: a\nnats: { hosts: [a:1] }\n";
  assert.deepEqual(
    parseConfig(`${base}log: { level: debug }\n`, {}).log,
    { level: "debug", format: "json" },
  );
  assert.deepEqual(
    parseConfig(`${base}debug: true\nlog: { format: json }\n`, {}).log,
    { level: "debug", format: "json" },
  );
  assert.deepEqual(
    parseConfig(`${base}log: { level: warn, format: json }\n`, {
      SCHEDULE_LOG_LEVEL: "error",
      SCHEDULE_LOG_FORMAT: "text",
    }).log,
    { level: "error", format: "text" },
  );
});

Deno.test("parseConfig() reports an unknown key at every level, naming the known ones", () => {
  const base = "namespace: a\nnats:\n  hosts: [a:1]\n";
  for (
    const [extra, message] of [
      [
        "workr: { concurrency: 2 }\n",
        /^workr: unknown key; the known keys are namespace, debug, catchup, log, nats, http, worker, clock, console$/,
      ],
      [
        "  host: b:1\n",
        /^nats\.host: unknown key; the known keys in nats are hosts, /,
      ],
      [
        "  tls: { cafile: a.pem }\n",
        /^nats\.tls\.cafile: unknown key; the known keys in nats\.tls are ca, cert, key$/,
      ],
      [
        "http: { prot: 1 }\n",
        /^http\.prot: unknown key; the known keys in http are port$/,
      ],
      [
        "worker: { concurency: 2 }\n",
        /^worker\.concurency: unknown key; the known keys in worker are concurrency, timeout, /,
      ],
      [
        "log: { levle: debug }\n",
        /^log\.levle: unknown key; the known keys in log are level, format$/,
      ],
      [
        "clock: { maxOfset: 1s }\n",
        /^clock\.maxOfset: unknown key; the known keys in clock are maxOffset$/,
      ],
      [
        "console: { prot: 1 }\n",
        /^console\.prot: unknown key; the known keys in console are port, /,
      ],
    ] as const
  ) {
    assert.throws(
      () => parseConfig(base + extra, {}),
      (err: Error) => err instanceof ConfigError && message.test(err.message),
      extra,
    );
  }
  assert.doesNotThrow(() =>
    parseConfig(`${base}clock: { maxOffset: 1s }\n`, {})
  );
});

Deno.test("parseConfig() reads the environment alone when there is no file", () => {
  const config = parseConfig(undefined, {
    SCHEDULE_NAMESPACE: "beta",
    SCHEDULE_NATS_HOSTS: "127.0.0.1:4222",
  });
  assert.deepEqual(config.nats, { hosts: ["127.0.0.1:4222"] });
});

const BAD: [string, string, Record<string, string>, RegExp][] = [
  ["not YAML", "namespace: [", {}, /not valid YAML/],
  ["a list", "- a\n- b", {}, /mapping/],
  ["no namespace", "nats: { hosts: [a:1] }", {}, /^namespace: missing/],
  [
    "a bad namespace",
    "namespace: a b\nnats: { hosts: [a:1] }",
    {},
    /^namespace:/,
  ],
  [
    "a bad log level",
    "namespace: a\nlog: { level: verbose }\nnats: { hosts: [a:1] }",
    {},
    /^log\.level: expected one of debug, info, warn, error$/,
  ],
  [
    "a bad log format env",
    "namespace: a\nnats: { hosts: [a:1] }",
    { SCHEDULE_LOG_FORMAT: "xml" },
    /^log\.format: expected one of json, text$/,
  ],
  [
    "a bad debug",
    "namespace: a\ndebug: maybe\nnats: { hosts: [a:1] }",
    {},
    /^debug:/,
  ],
  ["a bad debug env", "namespace: a\nnats: { hosts: [a:1] }", {
    SCHEDULE_DEBUG: "maybe",
  }, /^debug:/],
  ["no hosts", "namespace: a", {}, /^nats.hosts:/],
  ["empty hosts", "namespace: a\nnats: { hosts: [] }", {}, /^nats.hosts:/],
  ["an ackWait under 1s", "namespace: a\nnats: { hosts: [a:1] }", {
    SCHEDULE_WORKER_ACK_WAIT: "500ms",
  }, /^worker.ackWait: expected a Go duration between 1s and 24h$/],
  ["a retryDelay over 24h", "namespace: a\nnats: { hosts: [a:1] }", {
    SCHEDULE_WORKER_RETRY_DELAY: "720h",
  }, /^worker.retryDelay: expected a Go duration between 0s and 24h$/],
  ["a host with two ports", "namespace: a", {
    SCHEDULE_NATS_HOSTS: "nats://127.0.0.1:4222:x",
  }, /^nats.hosts: nats:\/\/127.0.0.1:4222:x is not a NATS URL/],
  ["a host with a path", "namespace: a", {
    SCHEDULE_NATS_HOSTS: "a:1,nats://alice:12/x@10.0.0.1:4222",
  }, /^nats.hosts: nats:\/\/\*\*\*@10.0.0.1:4222 is not a NATS URL/],
  ["a bad nats", "namespace: a\nnats: 5", {}, /^nats:/],
  [
    "a bad nkey",
    "namespace: a\nnats: { hosts: [a:1], nkey: secret }",
    {},
    /^nats.nkey:/,
  ],
  [
    "a bad catchup",
    "namespace: a\ncatchup: soon\nnats: { hosts: [a:1] }",
    {},
    /^catchup:/,
  ],
  [
    "a zero clock.maxOffset",
    "namespace: a\nclock: { maxOffset: 0s }\nnats: { hosts: [a:1] }",
    {},
    /^clock.maxOffset:/,
  ],
  [
    "a bad clock",
    "namespace: a\nclock: 1s\nnats: { hosts: [a:1] }",
    {},
    /^clock:/,
  ],
  [
    "a bad worker",
    "namespace: a\nworker: 3\nnats: { hosts: [a:1] }",
    {},
    /^worker:/,
  ],
  [
    "a bad concurrency",
    "namespace: a\nworker: { concurrency: 0 }\nnats: { hosts: [a:1] }",
    {},
    /^worker.concurrency:/,
  ],
  [
    "a zero timeout",
    "namespace: a\nworker: { timeout: 0s }\nnats: { hosts: [a:1] }",
    {},
    /^worker.timeout:/,
  ],
  [
    "replicas out of range",
    "namespace: a\nnats: { hosts: [a:1], replicas: 7 }",
    {},
    /^nats.replicas: expected a whole number from 1 to 5/,
  ],
  [
    "replicas that are not a number",
    "namespace: a\nnats: { hosts: [a:1] }",
    { SCHEDULE_NATS_REPLICAS: "three" },
    /^nats.replicas:/,
  ],
  [
    "a bad secretsDir",
    "namespace: a\nworker: { secretsDir: [a] }\nnats: { hosts: [a:1] }",
    {},
    /^worker.secretsDir:/,
  ],
  [
    "a timeout over 24h",
    "namespace: a\nworker: { timeout: 600h }\nnats: { hosts: [a:1] }",
    {},
    /^worker.timeout: .*between 1ms and 24h/,
  ],
  [
    "a timeout under 1ms",
    "namespace: a\nnats: { hosts: [a:1] }",
    { SCHEDULE_WORKER_TIMEOUT: "1ns" },
    /^worker.timeout: .*between 1ms and 24h/,
  ],
  [
    "bad allowHosts",
    "namespace: a\nworker: { allowHosts: example.com }\nnats: { hosts: [a:1] }",
    {},
    /^worker.allowHosts:/,
  ],
  [
    "bad allowNetworks",
    "namespace: a\nworker: { allowNetworks: [169.254.0.0/99] }\nnats: { hosts: [a:1] }",
    {},
    /^worker.allowNetworks:/,
  ],
];

for (const [what, text, env, message] of BAD) {
  Deno.test(`parseConfig() rejects a config with ${what}, naming the field`, () => {
    assert.throws(
      () => parseConfig(text, env),
      (err: Error) => err instanceof ConfigError && message.test(err.message),
    );
  });
}

Deno.test("parseConfig() reads NATS credentials, TLS and the HTTP port", () => {
  const base = "namespace: a\nnats:\n  hosts: [a:1]\n";
  assert.deepEqual(
    parseConfig(
      `${base}  creds: /etc/nats/a.creds\n  tls: { ca: ca.pem }\nhttp: { port: 9000 }`,
      {},
    )
      .nats,
    { hosts: ["a:1"], creds: "/etc/nats/a.creds", tls: { ca: "ca.pem" } },
  );
  const env = {
    SCHEDULE_NATS_USER: "node",
    SCHEDULE_NATS_PASSWORD: "pw",
    SCHEDULE_NATS_TLS_CERT: "c.pem",
    SCHEDULE_NATS_TLS_KEY: "k.pem",
    SCHEDULE_HTTP_PORT: "0",
  };
  const config = parseConfig(base, env);
  assert.deepEqual(config.nats, {
    hosts: ["a:1"],
    user: "node",
    password: "pw",
    tls: { cert: "c.pem", key: "k.pem" },
  });
  assert.equal(config.http.port, 0);
  assert.equal(parseConfig(base, { SCHEDULE_NATS_TOKEN: "t" }).nats.token, "t");
  for (
    const [extra, message] of [
      [
        "  token: t\n  user: u\n  password: p\n",
        /one of nkey, creds, token or user/,
      ],
      ["  user: u\n", /give both or neither/],
      ["  tls: { cert: c.pem }\n", /nats.tls.cert and nats.tls.key/],
      ["  tls: 5\n", /^nats.tls:/],
      ["http: { port: 70000 }\n", /^http.port:/],
    ] as const
  ) {
    assert.throws(
      () => parseConfig(base + extra, {}),
      (err: Error) => err instanceof ConfigError && message.test(err.message),
    );
  }
});

Deno.test("parseConfig() reads the hosts the NATS client reads, and no other", () => {
  const hosts = [
    "nats://10.0.0.1:4222",
    "tls://alice:p%2Fw@nats.example.com",
    "nats://[::1]:4222/",
    "::1",
    "localhost:4222",
  ];
  const config = parseConfig("namespace: a", {
    SCHEDULE_NATS_HOSTS: hosts.join(","),
  });
  assert.deepEqual(config.nats.hosts, hosts);
  // A password holding / is taken for a path: refused, and never shown.
  assert.throws(
    () =>
      parseConfig("namespace: a", {
        SCHEDULE_NATS_HOSTS: "nats://alice:s3cr/t@10.0.0.1:4222",
      }),
    (err: Error) =>
      err instanceof ConfigError && !err.message.includes("s3cr") &&
      err.message.includes("percent-encoded"),
  );
});

Deno.test("parseConfig() does not echo a bad nkey in its error", () => {
  assert.throws(
    () =>
      parseConfig("namespace: a\nnats: { hosts: [a:1], nkey: SUsecret }", {}),
    (err: Error) => !err.message.includes("SUsecret"),
  );
});

Deno.test("loadConfig() reads the file at the path, with the environment on top", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/config.yml`, FILE);
    const config = await loadConfig(`${dir}/config.yml`, {
      SCHEDULE_NAMESPACE: "gamma",
    });
    assert.equal(config.namespace, "gamma");
    assert.equal(config.nats.nkey, SEED);
    await assert.rejects(
      () => loadConfig(`${dir}/missing.yml`, {}),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message.startsWith(
          `cannot read the config file ${dir}/missing.yml`,
        ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfig() without a path or a file needs SCHEDULE_NAMESPACE, and says so", async () => {
  const dir = await Deno.makeTempDir();
  const cwd = Deno.cwd();
  Deno.chdir(dir);
  try {
    await assert.rejects(
      () => loadConfig(undefined, { SCHEDULE_NATS_HOSTS: "a:1" }),
      (err: Error) =>
        err instanceof ConfigError &&
        err.message.startsWith(
          "no config file at ./config/config.yml and SCHEDULE_NAMESPACE is not set",
        ),
    );
    const config = await loadConfig(undefined, {
      SCHEDULE_NAMESPACE: "beta",
      SCHEDULE_NATS_HOSTS: "a:1",
    });
    assert.equal(config.namespace, "beta");
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseConfig() reads the console section, with environment overrides", () => {
  const config = parseConfig(
    `${FILE}console: { port: 9000, user: ops, passwordFile: /run/pw }\n`,
    { SCHEDULE_CONSOLE_HOSTNAME: "0.0.0.0" },
  );
  assert.deepEqual(config.console, {
    port: 9000,
    hostname: "0.0.0.0",
    user: "ops",
    passwordFile: "/run/pw",
  });
  assert.equal(
    parseConfig(FILE, { SCHEDULE_CONSOLE_TOKEN: "t" }).console.token,
    "t",
  );
  for (
    const [extra, message] of [
      ["console: { user: ops }\n", /give both or neither/],
      ["console: { token: a, user: b, password: c }\n", /not both/],
      ["console: { port: -1 }\n", /console\.port:/],
    ] as const
  ) {
    assert.throws(() => parseConfig(FILE + extra, {}), message, extra);
  }
});

Deno.test("parseConfig() reports a YAML syntax error by line and column, never the source line", () => {
  for (
    const [text, where] of [
      ['namespace: a\nnats:\n  token: "s3cr3tT0ken\n', /at line 4, column 1$/],
      [
        "namespace: a\nnats:\n  password: s3cr3t: T0ken\n",
        /at line 3, column 13$/,
      ],
      // An unquoted password starting with * is an alias to the parser.
      ["namespace: a\nnats:\n  password: *s3cr3tT0ken\n", /quote a value/],
      // Other indicators too: a block scalar, a tag, an anchor, a directive.
      [
        "namespace: a\nnats:\n  password: |s3cr3tT0ken\n",
        /quote a value.* at line 3, column \d+$/,
      ],
      [
        "namespace: a\nnats: { token: >s3cr3tT0ken }\n",
        /quote a value.* at line 2, column \d+$/,
      ],
      [
        "namespace: a\nnats:\n  password: !s3cr3tT0ken\n",
        /quote a value.* at line 3, column \d+$/,
      ],
      [
        "namespace: a\nnats:\n  password: &s3cr3tT0ken\n",
        /quote a value.* at line 3, column \d+$/,
      ],
      [
        "%s3cr3tT0ken\n---\nnamespace: a\n",
        /at line 1, column 1$/,
      ],
    ] as const
  ) {
    assert.throws(
      () => parseConfig(text, {}),
      (err: Error) =>
        err instanceof ConfigError &&
        /^the config file is not valid YAML: \w/.test(err.message) &&
        where.test(err.message) && !/s3cr3t|T0ken/.test(err.message),
    );
  }
});

Deno.test("parseConfig() takes a number field as a whole number or digits, never coerced", () => {
  const base = "namespace: a\nnats:\n  hosts: [127.0.0.1:4222]\n";
  for (
    const [text, env, field] of [
      [`${base}http:\n  port: true\n`, {}, /^http\.port: /],
      [`${base}http:\n  port: [8081]\n`, {}, /^http\.port: /],
      [`${base}http:\n  port: 80.5\n`, {}, /^http\.port: /],
      [`${base}console:\n  port: "0x50"\n`, {}, /^console\.port: /],
      [base, { SCHEDULE_HTTP_PORT: "" }, /^http\.port: /],
      [base, { SCHEDULE_HTTP_PORT: " " }, /^http\.port: /],
      [base, { SCHEDULE_CONSOLE_PORT: "1e3" }, /^console\.port: /],
      [`${base}worker:\n  concurrency: true\n`, {}, /^worker\.concurrency: /],
      [`${base}worker:\n  concurrency: [2]\n`, {}, /^worker\.concurrency: /],
      [
        `${base}  replicas: true\n`,
        {},
        /^nats\.replicas: /,
      ],
      [base, { SCHEDULE_NATS_REPLICAS: "" }, /^nats\.replicas: /],
    ] as [string, Record<string, string>, RegExp][]
  ) {
    assert.throws(
      () => parseConfig(text, env),
      (err: Error) => err instanceof ConfigError && field.test(err.message),
      `${JSON.stringify(text)} ${JSON.stringify(env)}`,
    );
  }
  const config = parseConfig(
    `${base}  replicas: 3\nhttp:\n  port: "8081"\nworker:\n  concurrency: 4\n`,
    { SCHEDULE_CONSOLE_PORT: "8091" },
  );
  assert.deepEqual(
    [
      config.nats.replicas,
      config.http.port,
      config.worker.concurrency,
      config.console.port,
    ],
    [3, 8081, 4, 8091],
  );
});
