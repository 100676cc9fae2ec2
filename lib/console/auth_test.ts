import assert from "node:assert/strict";
import { Access, SIGNED_IN_FOR } from "./auth.ts";

const config = {
  port: 0,
  hostname: "127.0.0.1",
  user: "admin",
  password: "summer2024",
};

/** The cookies of `headers` (`Set-Cookie` lines) as a `Cookie` header, without the cleared. */
function cookieHeader(headers: string[]): string {
  return headers.map((line) => line.split(";")[0])
    .filter((pair) => !pair.endsWith("=")).join("; ");
}

function request(cookie: string): Request {
  return new Request("http://127.0.0.1/", { headers: { cookie } });
}

Deno.test("signing in starts a new session, signed in; signing out starts another, signed out", async () => {
  const access = await Access.load(config);
  const anonymous = await access.session(request(""));
  assert.equal(anonymous.writer, false);
  assert.equal(await access.signIn({ user: "admin", password: "nope" }), null);
  const signedIn =
    (await access.signIn({ user: "admin", password: "summer2024" }))!;
  const cookie = cookieHeader(signedIn);
  const session = await access.session(request(cookie));
  assert.equal(session.writer, true);
  assert.notEqual(session.id, anonymous.id, "a new session id at sign-in");
  assert.match(signedIn[1], /; Max-Age=43200$/);
  const out = await access.session(
    request(cookieHeader(access.signOut())),
  );
  assert.equal(out.writer, false);
  assert.notEqual(out.id, session.id, "a new session id at sign-out");
});

Deno.test(`a sign-in lasts ${SIGNED_IN_FOR / 3600} hours, and is refused once changed`, async () => {
  const access = await Access.load(config);
  const cookie = cookieHeader(
    (await access.signIn({ user: "admin", password: "summer2024" }))!,
  );
  const now = Date.now;
  try {
    Date.now = () => now() + (SIGNED_IN_FOR - 60) * 1000;
    assert.equal((await access.session(request(cookie))).writer, true);
    Date.now = () => now() + (SIGNED_IN_FOR + 1) * 1000;
    assert.equal((await access.session(request(cookie))).writer, false);
  } finally {
    Date.now = now;
  }
  const [issued] = /schedule_auth=(\d+)/.exec(cookie)!.slice(1);
  const later = cookie.replace(
    `schedule_auth=${issued}`,
    `schedule_auth=${Number(issued) + 3600}`,
  );
  assert.equal((await access.session(request(later))).writer, false);
});

Deno.test("the CSRF token any visitor gets is not a quick check of a password guess", async () => {
  const access = await Access.load(config);
  const { id, csrf } = await access.session(request(""));
  const material = new TextEncoder().encode("user:admin:summer2024");
  const fast = await crypto.subtle.importKey(
    "raw",
    await crypto.subtle.digest("SHA-256", material),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      fast,
      new TextEncoder().encode(`csrf:${id}`),
    ),
  );
  const guessed = btoa(String.fromCharCode(...mac)).replace(/\+/g, "-")
    .replace(/\//g, "_").replace(/=+$/, "");
  assert.notEqual(guessed, csrf);
});
