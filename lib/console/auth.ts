/**
 * Who may write, and CSRF protection. The console is read-only unless the config gives
 * a token or a user and password; a browser signs in once (a cookie bound to its
 * session, for {@link SIGNED_IN_FOR} seconds) and every POST carries the session's CSRF
 * token. Both cookies and the CSRF token are HMACs of the session id under a key drawn
 * from the credentials by a slow hash (PBKDF2, {@link KEY_ITERATIONS} rounds: a CSRF token
 * is given to anyone, and must not make the password quick to guess offline), so any
 * replica of the console accepts them and nothing is stored.
 *
 * @module
 */

import type { ConsoleConfig } from "../ops/config.ts";
import { ConfigError } from "../errors.ts";

const SESSION = "schedule_session";
const SIGNED_IN = "schedule_auth";

/** How long a sign-in lasts, in seconds: 12 hours. */
export const SIGNED_IN_FOR = 12 * 3600;

/** The PBKDF2-HMAC-SHA256 rounds that draw the key from the credentials (OWASP's count). */
export const KEY_ITERATIONS = 600_000;

/** The session a request belongs to, and what it may do. */
export interface Session {
  /** The session id (a new one when the request had none). */
  id: string;
  /** The `Set-Cookie` header to send, when the session is new. */
  setCookie?: string;
  /** The token each form of this session carries. */
  csrf: string;
  /** Whether this session may write. */
  writer: boolean;
}

/**
 * The console's write access, from its config.
 *
 * @example
 * ```ts ignore
 * const access = await Access.load(config.console);
 * const session = await access.session(request);
 * ```
 */
export class Access {
  readonly #key: CryptoKey;
  readonly #token?: string;
  readonly #user?: string;
  readonly #password?: string;

  private constructor(
    key: CryptoKey,
    credentials: { token?: string; user?: string; password?: string },
  ) {
    this.#key = key;
    this.#token = credentials.token;
    this.#user = credentials.user;
    this.#password = credentials.password;
  }

  /**
   * Reads the credentials of `config` (and their files).
   *
   * @throws {ConfigError} When a file cannot be read or is empty.
   */
  static async load(config: ConsoleConfig): Promise<Access> {
    const token = config.token ??
      await readSecret("tokenFile", config.tokenFile);
    const password = config.password ??
      await readSecret("passwordFile", config.passwordFile);
    const material = token !== undefined
      ? `token:${token}`
      : config.user !== undefined
      ? `user:${config.user}:${password}`
      : crypto.randomUUID(); // read-only: sessions need a key all the same
    const key = await crypto.subtle.deriveKey(
      {
        name: "PBKDF2",
        hash: "SHA-256",
        salt: new TextEncoder().encode("schedule console sessions"),
        iterations: KEY_ITERATIONS,
      },
      await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode(material),
        "PBKDF2",
        false,
        ["deriveKey"],
      ),
      { name: "HMAC", hash: "SHA-256", length: 256 },
      false,
      ["sign"],
    );
    return new Access(key, { token, user: config.user, password });
  }

  /** Whether any write access is configured. */
  get writable(): boolean {
    return this.#token !== undefined || this.#user !== undefined;
  }

  /** Which credentials sign in: a `token`, or a `user` and password. */
  get method(): "token" | "user" | "none" {
    return this.#token !== undefined
      ? "token"
      : this.#user !== undefined
      ? "user"
      : "none";
  }

  /** Who writes, for the `by` of revisions. */
  get by(): string {
    return this.#user ?? "console";
  }

  /** The session of `request`, started when it has none. */
  async session(request: Request): Promise<Session> {
    const cookies = parseCookies(request.headers.get("cookie"));
    let id = cookies[SESSION];
    let setCookie: string | undefined;
    if (!id || !/^[\w-]{22}$/.test(id)) {
      id = newSessionId();
      setCookie = cookie(SESSION, id);
    }
    const signedIn = cookies[SIGNED_IN];
    const writer = this.writable && signedIn !== undefined &&
      await this.#signedIn(id, signedIn);
    return { id, setCookie, csrf: await this.#sign(`csrf:${id}`), writer };
  }

  /**
   * A MAC of `text` bound to `session`: what the console hands itself through a URL (a
   * notice after an action) carries it, so that a link from elsewhere cannot.
   */
  mac(session: Session, text: string): Promise<string> {
    return this.#sign(`note:${session.id}:${text}`);
  }

  /** Whether `mac` is {@link Access.mac} of `text` for `session`. */
  async checkMac(
    session: Session,
    text: string,
    mac: string | null,
  ): Promise<boolean> {
    return mac !== null && same(mac, await this.mac(session, text));
  }

  /** Whether the form's `csrf` is the session's. */
  async checkCsrf(session: Session, csrf: string | null): Promise<boolean> {
    return csrf !== null && same(csrf, await this.#sign(`csrf:${session.id}`));
  }

  /**
   * The `Set-Cookie` headers that sign in when the credentials are right (a new session,
   * signed in for {@link SIGNED_IN_FOR} seconds), else `null`.
   */
  async signIn(
    credentials: { token?: string; user?: string; password?: string },
  ): Promise<string[] | null> {
    const right = this.#token !== undefined
      ? same(credentials.token ?? "", this.#token)
      : this.#user !== undefined &&
        [
          same(credentials.user ?? "", this.#user),
          same(credentials.password ?? "", this.#password ?? ""),
        ].every(Boolean);
    if (!right) return null;
    const id = newSessionId();
    const issued = Math.floor(Date.now() / 1000);
    const signed = `${issued}.${await this.#sign(`auth:${id}:${issued}`)}`;
    return [
      cookie(SESSION, id),
      cookie(SIGNED_IN, signed, SIGNED_IN_FOR),
    ];
  }

  /**
   * The `Set-Cookie` headers that sign out: the sign-in dropped, and a new session, so
   * that the browser's old cookies sign nothing in even if it kept them.
   */
  signOut(): string[] {
    return [cookie(SESSION, newSessionId()), cookie(SIGNED_IN, "", 0)];
  }

  /** Whether `value` signs session `id` in, and has not expired. */
  async #signedIn(id: string, value: string): Promise<boolean> {
    const [issued, mac] = value.split(".");
    const age = Date.now() / 1000 - Number(issued);
    return /^\d{1,12}$/.test(issued) && age >= -60 && age < SIGNED_IN_FOR &&
      same(mac ?? "", await this.#sign(`auth:${id}:${issued}`));
  }

  async #sign(text: string): Promise<string> {
    const mac = await crypto.subtle.sign(
      "HMAC",
      this.#key,
      new TextEncoder().encode(text),
    );
    return base64url(new Uint8Array(mac));
  }
}

async function readSecret(
  field: string,
  path: string | undefined,
): Promise<string | undefined> {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = (await Deno.readTextFile(path)).trim();
  } catch (err) {
    throw new ConfigError(
      `console.${field}: cannot read ${path}: ${(err as Error).message}`,
    );
  }
  if (!text) throw new ConfigError(`console.${field}: ${path} is empty`);
  return text;
}

function newSessionId(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(16)));
}

function cookie(name: string, value: string, maxAge?: number): string {
  const expiry = maxAge === undefined ? "" : `; Max-Age=${maxAge}`;
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Strict${expiry}`;
}

function parseCookies(header: string | null): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0) cookies[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return cookies;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(
    /\//g,
    "_",
  ).replace(/=+$/, "");
}

/** Compares two strings in a time that does not depend on where they differ. */
function same(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  }
  return diff === 0;
}
