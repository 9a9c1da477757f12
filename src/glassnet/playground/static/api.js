// The server's HTTP API (every request carries the page's token), with its errors turned
// into Error objects whose message is the server's one sentence.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/**
 * A client for the playground's API. `fetchImpl` is the page's `fetch` (a stand-in in the
 * tests); `base` is prepended to every path.
 */
export function makeApi(token, fetchImpl = globalThis.fetch.bind(globalThis), base = "") {
  const headers = { "X-Glassnet-Token": token };

  async function request(method, path, body) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetchImpl(base + path, init);
    } catch (error) {
      throw new ApiError(`the server did not answer (${error.message}); is it still running?`, 0);
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const message =
        data && typeof data.error === "string"
          ? data.error
          : `the server answered ${response.status} to ${method} ${path}`;
      throw new ApiError(message, response.status);
    }
    if (data === null) throw new ApiError(`the server's answer to ${path} is not JSON`, response.status);
    return data;
  }

  return {
    options: () => request("GET", "/api/options"),
    reset: (config) => request("POST", "/api/reset", config),
    play: () => request("POST", "/api/play", {}),
    pause: () => request("POST", "/api/pause", {}),
    step: () => request("POST", "/api/step", {}),
    state: () => request("GET", "/api/state"),
    boundary: (layer, unit, n) =>
      request("GET", `/api/boundary?layer=${layer}&unit=${unit}&n=${n}`),
    trace: (layer) => request("GET", `/api/trace?layer=${layer}`),
    exportUrl: () => request("GET", "/api/export?kind=url"),
    /** The address of a download (the token in the query: a plain link sends no header). */
    downloadHref: (kind) =>
      `${base}/api/export?kind=${encodeURIComponent(kind)}&token=${encodeURIComponent(token)}`,
  };
}
