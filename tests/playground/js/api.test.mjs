// The API client: the token on every request, JSON bodies, the server's errors as messages.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, makeApi } from "../../../src/glassnet/playground/static/api.js";

function fakeFetch(status, body) {
  const calls = [];
  const impl = async (url, init) => {
    calls.push({ url, init });
    return { ok: status >= 200 && status < 300, status, text: async () => body };
  };
  return { calls, impl };
}

test("every request carries X-Glassnet-Token; a POST sends its config as JSON", async () => {
  const { calls, impl } = fakeFetch(200, '{"running": false, "epoch": 0}');
  const api = makeApi("s3cret", impl, "http://h");
  const state = await api.reset({ dataset: "spiral", seed: 1 });
  assert.deepEqual(state, { running: false, epoch: 0 });
  await api.state();
  await api.boundary(1, 3, 40);
  await api.trace(2);
  assert.deepEqual(
    calls.map((c) => [c.init.method, c.url]),
    [
      ["POST", "http://h/api/reset"],
      ["GET", "http://h/api/state"],
      ["GET", "http://h/api/boundary?layer=1&unit=3&n=40"],
      ["GET", "http://h/api/trace?layer=2"],
    ],
  );
  for (const call of calls) assert.equal(call.init.headers["X-Glassnet-Token"], "s3cret");
  assert.equal(calls[0].init.headers["Content-Type"], "application/json");
  assert.deepEqual(JSON.parse(calls[0].init.body), { dataset: "spiral", seed: 1 });
  assert.equal(calls[1].init.body, undefined);
});

test("a 400 becomes an ApiError whose message is the server's sentence", async () => {
  const { impl } = fakeFetch(400, '{"error": "learning_rate must be in (0, 10], got 50"}');
  const api = makeApi("t", impl);
  await assert.rejects(api.step(), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 400);
    assert.equal(error.message, "learning_rate must be in (0, 10], got 50");
    return true;
  });
});

test("an answer without JSON, or no answer, still gives a sentence", async () => {
  const { impl } = fakeFetch(502, "<html>bad gateway</html>");
  await assert.rejects(makeApi("t", impl).play(), /the server answered 502 to POST \/api\/play/);
  const down = async () => {
    throw new TypeError("Failed to fetch");
  };
  await assert.rejects(makeApi("t", down).state(), /did not answer \(Failed to fetch\)/);
});

test("download links carry the token in the query, encoded", () => {
  const api = makeApi("a b&c", async () => null, "");
  assert.equal(api.downloadHref("model"), "/api/export?kind=model&token=a%20b%26c");
});
