/**
 * Headless Chromium driven over the Chrome DevTools Protocol (a WebSocket, no library):
 * pages to open, script to evaluate, screenshots.
 *
 * @module
 */

/** Where Chromium is: `CHROMIUM_BIN`, else Debian's. */
export const CHROMIUM = Deno.env.get("CHROMIUM_BIN") ?? "/usr/bin/chromium";

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(error: Error): void;
}

/** A headless Chromium of a test's own. */
export class Browser {
  readonly #process: Deno.ChildProcess;
  readonly #socket: WebSocket;
  readonly #dir: string;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<
    (method: string, params: unknown, session?: string) => void
  >();
  #id = 0;

  private constructor(
    process: Deno.ChildProcess,
    socket: WebSocket,
    dir: string,
  ) {
    this.#process = process;
    this.#socket = socket;
    this.#dir = dir;
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.id !== undefined) {
        const pending = this.#pending.get(data.id);
        this.#pending.delete(data.id);
        if (data.error) pending?.reject(new Error(JSON.stringify(data.error)));
        else pending?.resolve(data.result);
        return;
      }
      for (const listener of this.#listeners) {
        listener(data.method, data.params, data.sessionId);
      }
    };
  }

  /** Starts Chromium headless, with a fresh profile and no background traffic. */
  static async launch(): Promise<Browser> {
    const dir = await Deno.makeTempDir({ prefix: "chromium-" });
    const process = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        `--user-data-dir=${dir}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines = process.stderr.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    let endpoint: string | undefined;
    while (endpoint === undefined) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`chromium did not start: ${text}`);
      text += value;
      endpoint = /DevTools listening on (ws:\S+)/.exec(text)?.[1];
    }
    (async () => {
      while (!(await lines.read()).done) { /* drain */ }
    })();
    const socket = new WebSocket(endpoint);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    return new Browser(process, socket, dir);
  }

  /**
   * Sends a CDP command (to `session`, a page, when given). An answer that does not come
   * within `timeout` ms rejects it: a command sent to a tab while it changes process for
   * a navigation can go unanswered.
   */
  send(
    method: string,
    params: Record<string, unknown> = {},
    session?: string,
    timeout = 10_000,
  ): Promise<Record<string, unknown>> {
    const id = ++this.#id;
    this.#socket.send(
      JSON.stringify({ id, method, params, sessionId: session }),
    );
    const { promise, resolve, reject } = Promise.withResolvers<
      Record<string, unknown>
    >();
    this.#pending.set(id, { resolve, reject });
    const timer = setTimeout(() => {
      this.#pending.delete(id);
      reject(new Error(`${method}: no answer in ${timeout} ms`));
    }, timeout);
    return promise.finally(() => clearTimeout(timer));
  }

  /** Calls `listener` with each CDP event. */
  on(
    listener: (method: string, params: unknown, session?: string) => void,
  ): void {
    this.#listeners.add(listener);
  }

  /** A new tab of `width` × `height` CSS pixels. */
  async newPage(width = 1280, height = 900): Promise<Page> {
    const { targetId } = await this.send("Target.createTarget", {
      url: "about:blank",
    });
    const { sessionId } = await this.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const page = new Page(this, sessionId as string);
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    await page.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    return page;
  }

  /**
   * Stops Chromium and removes its profile. Chromium is asked to quit, so that its helper
   * processes stop writing to the profile before it is removed; one that does not quit
   * within 5 s is killed.
   */
  async close(): Promise<void> {
    await this.send("Browser.close", {}, undefined, 5_000).catch(() => {});
    this.#socket.close();
    const killer = setTimeout(() => this.#process.kill("SIGKILL"), 5_000);
    await this.#process.status.finally(() => clearTimeout(killer));
    await Deno.remove(this.#dir, { recursive: true });
  }
}

/** One tab. */
export class Page {
  /** Dialogs (alert, confirm) the page opened: an injected script would open one. */
  readonly dialogs: string[] = [];
  /** Errors the page's scripts threw or logged, CSP violations included. */
  readonly errors: string[] = [];

  constructor(readonly browser: Browser, readonly session: string) {
    browser.on((method, params, session) => {
      if (session !== this.session) return;
      const p = params as Record<string, Record<string, unknown>>;
      if (method === "Page.javascriptDialogOpening") {
        this.dialogs.push(String(p.message));
        this.send("Page.handleJavaScriptDialog", { accept: true }).catch(
          (error) => this.errors.push(`dialog left open: ${error.message}`),
        );
      }
      if (method === "Runtime.exceptionThrown") {
        this.errors.push(JSON.stringify(p.exceptionDetails));
      }
      if (
        method === "Runtime.consoleAPICalled" && p.type === "error" as unknown
      ) {
        this.errors.push(JSON.stringify(p.args));
      }
    });
  }

  /** Sends a CDP command to this tab (see {@link Browser.send}). */
  send(
    method: string,
    params: Record<string, unknown> = {},
    timeout?: number,
  ) {
    return this.browser.send(method, params, this.session, timeout);
  }

  /** Opens `url` and waits until its document is complete. */
  async goto(url: string): Promise<void> {
    await this.send("Page.navigate", { url });
    await this.waitFor(
      `${url} loaded`,
      `document.readyState === "complete" && location.href.startsWith(${
        JSON.stringify(url.split("?")[0])
      })`,
    );
  }

  /** The value of `expression` in the page (promises awaited), within `timeout` ms. */
  async evaluate<T>(expression: string, timeout?: number): Promise<T> {
    const { result, exceptionDetails } = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    }, timeout) as { result: { value: T }; exceptionDetails?: unknown };
    if (exceptionDetails) throw new Error(JSON.stringify(exceptionDetails));
    return result.value;
  }

  /**
   * Polls `expression` until it is truthy. An evaluation that fails or goes unanswered
   * for 2 s during a navigation is tried again, until the deadline.
   */
  async waitFor(
    what: string,
    expression: string,
    timeout = 10_000,
  ): Promise<void> {
    const deadline = Date.now() + timeout;
    const test = `Boolean(${expression})`;
    let last: unknown;
    for (;;) {
      try {
        const left = Math.max(1, deadline - Date.now());
        if (await this.evaluate<boolean>(test, Math.min(2_000, left))) return;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeout} ms waiting for ${what}${
            last ? `: ${last}` : ""
          }`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Types `value` into the field `selector` as a user would (input events fire). */
  async fill(selector: string, value: string): Promise<void> {
    await this.evaluate(`(() => {
      const field = document.querySelector(${JSON.stringify(selector)});
      field.focus();
      field.value = ${JSON.stringify(value)};
      field.dispatchEvent(new Event("input", { bubbles: true }));
    })()`);
  }

  /** Clicks `selector`. */
  async click(selector: string): Promise<void> {
    await this.evaluate(
      `document.querySelector(${JSON.stringify(selector)}).click()`,
    );
  }

  /** A PNG of the page, its full height. */
  async screenshot(): Promise<Uint8Array> {
    const { data } = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
    });
    return Uint8Array.from(atob(data as string), (c) => c.charCodeAt(0));
  }
}
