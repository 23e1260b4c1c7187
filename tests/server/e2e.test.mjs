// End to end: the official `openai` SDK (and plain fetch, for what the SDK hides) against a real `baleen serve` on
// the tiny random-weight DeepSeek-V3 model. The text is noise; shapes, counts, determinism and lifecycle are not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  importPackage, testConfig, makeTinyModel, structuralTokenIds, banning, startServer, api, parseMetrics, metricSum, waitFor,
  isJsonPrefix,
} from './harness.mjs';

const { default: OpenAI } = await importPackage('openai');

const KEY = 'sk-e2e-' + Math.random().toString(36).slice(2);
const CTX = 4096;
let server;
let client;
let ban;  // logit_bias banning EOS and the structural markers: replies then run to max_tokens exactly
let model;

before(async () => {
  const config = testConfig('server_e2e');
  const file = makeTinyModel(config);
  ban = banning(structuralTokenIds(config, file));
  server = await startServer(config, file, ['--api-key', KEY, '--parallel', '4', '--ctx', String(CTX)]);
  client = new OpenAI({ baseURL: server.url + 'v1', apiKey: KEY, maxRetries: 0, timeout: 30000 });
  model = (await client.models.list()).data[0].id;
});

after(async () => {
  if (server && !server.exit) await server.stop();
});

const noThinking = { thinking: { type: 'disabled' } };  // replies go to `content`
const ask = (text) => [{ role: 'user', content: text }];

function checkUsage(usage) {
  assert.ok(usage.prompt_tokens > 0);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  assert.ok(usage.completion_tokens_details.reasoning_tokens <= usage.completion_tokens);
  assert.ok(Number.isInteger(usage.prompt_tokens_details.cached_tokens));
  assert.equal(usage.prompt_cache_hit_tokens + usage.prompt_cache_miss_tokens, usage.prompt_tokens);
}

function checkError(response, status, param) {
  assert.equal(response.status, status, response.text);
  const error = response.json.error;
  for (const key of ['message', 'type', 'param', 'code']) assert.ok(key in error, `error.${key} missing: ${response.text}`);
  assert.equal(typeof error.message, 'string');
  if (param !== undefined) assert.equal(error.param, param);
}

test('health is open without the key; the API is not', async () => {
  assert.equal((await api(server, 'health')).status, 200);
  checkError(await api(server, 'v1/models'), 401);
  checkError(await api(server, 'v1/chat/completions', { method: 'POST', body: { model, messages: ask('hi') } }), 401);
  checkError(await api(server, 'v1/models', { key: 'sk-wrong' }), 401);
  const wrong = new OpenAI({ baseURL: server.url + 'v1', apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(wrong.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
});

test('the chat page is public and self-contained', async () => {
  const page = await api(server, '');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.match(page.text, /<title>Baleen<\/title>/);
  // No external resource of any kind: no src/href/url()/@import pointing off the server.
  assert.doesNotMatch(page.text, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(page.text, /url\(\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(page.text, /@import/i);
  // Its script and style sheet: public too, from this server only, typed and never sniffed, so the policy needs no
  // 'unsafe-inline' (the browser test checks the page runs under it).
  const policy = page.headers.get('content-security-policy');
  assert.match(policy, /(^|; )script-src 'self'(;|$)/);
  assert.match(policy, /(^|; )style-src 'self'(;|$)/);
  assert.doesNotMatch(policy, /unsafe/);
  assert.doesNotMatch(page.text, /<style|<script>|\bstyle\s*=/i, 'no inline script or style in the page');
  for (const [file, type] of [['chat.js', 'text/javascript; charset=utf-8'], ['chat.css', 'text/css; charset=utf-8']]) {
    assert.match(page.text, new RegExp(`(src|href)="${file}"`), `the page loads ${file} by a relative URL`);
    const asset = await api(server, file);
    assert.equal(asset.status, 200, file);
    assert.equal(asset.headers.get('content-type'), type);
    assert.equal(asset.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(asset.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(asset.text, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i, file);
    assert.doesNotMatch(asset.text, /url\(\s*["']?(https?:)?\/\//i, file);
    assert.doesNotMatch(asset.text, /@import/i, file);
  }
});

test('unknown path is 404 in the OpenAI error shape', async () => {
  checkError(await api(server, 'v1/nope', { key: KEY }), 404);
});

test('/v1/models lists the model with its context length', async () => {
  const list = await client.models.list();
  assert.equal(list.data.length, 1);
  const entry = list.data[0];
  assert.equal(entry.object, 'model');
  assert.equal(typeof entry.id, 'string');
  const numbers = JSON.stringify(entry).match(/"[^"]*(ctx|context|len)[^"]*":\s*(\d+)/gi) || [];
  assert.ok(numbers.some((n) => n.endsWith(String(CTX))), `no context length ${CTX} in ${JSON.stringify(entry)}`);
});

test('chat completion, non-streaming', async () => {
  const before = Math.floor(Date.now() / 1000);
  const r = await client.chat.completions.create({ model, messages: ask('Say hello.'), max_tokens: 24, seed: 1 });
  assert.match(r.id, /\S/);
  assert.equal(r.object, 'chat.completion');
  assert.ok(Math.abs(r.created - before) <= 5, `created ${r.created}`);
  assert.equal(typeof r.model, 'string');
  assert.equal(r.choices.length, 1);
  const choice = r.choices[0];
  assert.equal(choice.index, 0);
  assert.equal(choice.message.role, 'assistant');
  assert.ok(choice.message.content === null || typeof choice.message.content === 'string');
  assert.equal(typeof choice.message.reasoning_content, 'string');  // thinking is on by default
  assert.ok(['stop', 'length'].includes(choice.finish_reason), choice.finish_reason);
  checkUsage(r.usage);
  assert.ok(r.usage.completion_tokens <= 24);
});

async function collectStream(params, options) {
  const stream = await client.chat.completions.create({ model, stream: true, ...params }, options);
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

function checkStream(chunks, { includeUsage }) {
  assert.ok(chunks.length >= 2);
  const { id, created } = chunks[0];
  for (const c of chunks) {
    assert.equal(c.id, id);
    assert.equal(c.created, created);
    assert.equal(c.object, 'chat.completion.chunk');
  }
  const withChoices = chunks.filter((c) => c.choices.length > 0);
  assert.equal(withChoices[0].choices[0].delta.role, 'assistant');
  const finishes = withChoices.filter((c) => c.choices[0].finish_reason);
  assert.equal(finishes.length, 1, 'exactly one chunk carries finish_reason');
  const last = chunks[chunks.length - 1];
  if (includeUsage) {
    assert.deepEqual(last.choices, []);
    checkUsage(last.usage);
    for (const c of chunks.slice(0, -1)) assert.ok(c.usage == null, 'usage only on the final chunk');
  }
  const text = (field) => withChoices.map((c) => c.choices[0].delta[field] || '').join('');
  return { reasoning: text('reasoning_content'), content: text('content'), finish: finishes[0].choices[0].finish_reason,
           usage: last.usage };
}

test('chat completion, streaming with include_usage', async () => {
  const chunks = await collectStream({
    messages: ask('Count to ten.'), max_tokens: 40, seed: 7, logit_bias: ban, stream_options: { include_usage: true },
  });
  const s = checkStream(chunks, { includeUsage: true });
  assert.equal(s.finish, 'length');
  assert.equal(s.usage.completion_tokens, 40);
  assert.ok(s.reasoning.length + s.content.length > 0);
  // Thinking is on and </think> is banned: every token is reasoning.
  assert.equal(s.content, '');
  assert.equal(s.usage.completion_tokens_details.reasoning_tokens, 40);
});

test('streaming and non-streaming give the same text for the same seed', async () => {
  const params = { messages: ask('Tell a story.'), max_tokens: 30, seed: 11, temperature: 1, logit_bias: ban };
  const whole = await client.chat.completions.create({ model, ...params });
  const s = checkStream(await collectStream(params), { includeUsage: false });
  assert.equal(s.reasoning, whole.choices[0].message.reasoning_content || '');
  assert.equal(s.content, whole.choices[0].message.content || '');
});

test('max_tokens and max_completion_tokens end with finish_reason "length"', async () => {
  for (const limit of [{ max_tokens: 7 }, { max_completion_tokens: 9 }]) {
    const r = await client.chat.completions.create({ model, messages: ask('Go on.'), logit_bias: ban, ...limit });
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.completion_tokens, Object.values(limit)[0]);
  }
});

test('a stop string taken from a greedy reply cuts the same reply before it', async () => {
  const params = { model, messages: ask('Write anything.'), temperature: 0, max_tokens: 80, logit_bias: ban, ...noThinking };
  const first = (await client.chat.completions.create(params)).choices[0].message.content;
  // A short run of ASCII letters/digits past the start: noise text holds few, but 80 tokens nearly always one.
  const m = first.slice(4).match(/[A-Za-z0-9]{2,3}/);
  assert.ok(m, `no ASCII run to use as a stop string in ${JSON.stringify(first)}`);
  const stop = m[0];
  const second = await client.chat.completions.create({ ...params, stop: [stop] });
  assert.equal(second.choices[0].finish_reason, 'stop');
  assert.equal(second.choices[0].message.content, first.slice(0, first.indexOf(stop)));
  // Streamed, the text held back while it might begin the stop string must not leak either.
  const streamed = checkStream(await collectStream({ ...params, stop }), { includeUsage: false });
  assert.equal(streamed.finish, 'stop');
  assert.equal(streamed.content, first.slice(0, first.indexOf(stop)));
});

test('n choices, and the other sampling fields are accepted', async () => {
  const r = await client.chat.completions.create({
    model, messages: ask('Two answers.'), n: 2, max_tokens: 6, logit_bias: ban, top_p: 0.9, top_k: 20, min_p: 0.05,
    presence_penalty: 0.5, frequency_penalty: 0.5, seed: 9,
  });
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1]);
  for (const c of r.choices) assert.equal(c.finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 12);
});

test('a body over the limit is 413, readable by a client that sends it whole', async () => {
  // The default --max-body is 8 MiB. fetch (and so the SDK) writes the whole body before reading the reply: the
  // server must let it (drain, or close only after the client did) or the client sees EPIPE instead of the 413.
  await assert.rejects(client.chat.completions.create({ model, messages: ask('x'.repeat(9 << 20)) }),
    (e) => e.status === 413 || assert.fail(`${e.constructor.name}: ${e.message} (${e.cause?.cause?.code ?? e.cause?.message})`));
});

test('the same seed gives the same text at temperature 1; other seeds differ', async () => {
  const reply = async (seed) => {
    const r = await client.chat.completions.create({
      model, messages: ask('Pick words.'), temperature: 1, seed, max_tokens: 24, logit_bias: ban,
    });
    return (r.choices[0].message.reasoning_content || '') + '|' + (r.choices[0].message.content || '');
  };
  const a = await reply(42);
  assert.equal(await reply(42), a);
  const others = await Promise.all([1, 2, 3].map(reply));
  assert.ok(others.some((o) => o !== a), 'three other seeds all gave the same text');
});

test('logprobs and top_logprobs', async () => {
  const r = await client.chat.completions.create({
    model, messages: ask('Hi'), temperature: 0, max_tokens: 8, logit_bias: ban, logprobs: true, top_logprobs: 3,
    ...noThinking,
  });
  const entries = r.choices[0].logprobs.content;
  assert.equal(entries.length, r.usage.completion_tokens);
  for (const e of entries) {
    assert.equal(typeof e.token, 'string');
    assert.ok(e.logprob <= 0, `logprob ${e.logprob}`);
    assert.ok(Array.isArray(e.bytes));
    assert.equal(e.top_logprobs.length, 3);
    for (let k = 1; k < 3; k++) assert.ok(e.top_logprobs[k - 1].logprob >= e.top_logprobs[k].logprob, 'sorted');
    for (const t of e.top_logprobs) assert.ok(t.logprob <= 0 && typeof t.token === 'string');
    // Greedy: the chosen token is the most likely one.
    assert.ok(Math.abs(e.logprob - e.top_logprobs[0].logprob) < 1e-4, JSON.stringify(e));
  }
});

test('completions: echo with max_tokens 0 scores the prompt', async () => {
  const prompt = 'Hello world, hello again';
  const r = await client.completions.create({ model, prompt, max_tokens: 0, echo: true, logprobs: 2 });
  assert.equal(r.object, 'text_completion');
  const choice = r.choices[0];
  assert.ok(choice.text.endsWith(prompt), JSON.stringify(choice.text));
  const lp = choice.logprobs;
  assert.ok(lp.tokens.length >= 10, `only ${lp.tokens.length} prompt tokens`);
  assert.equal(lp.token_logprobs.length, lp.tokens.length);
  assert.equal(lp.text_offset.length, lp.tokens.length);
  assert.ok(lp.tokens.join('').endsWith(prompt));
  // The first token has no context to be scored in (OpenAI returns null there); every later one is scored.
  lp.token_logprobs.slice(1).forEach((v, k) => assert.ok(typeof v === 'number' && v <= 0, `token ${k + 1}: ${v}`));
  assert.equal(lp.top_logprobs.length, lp.tokens.length);
  assert.equal(r.usage.completion_tokens, 0);
  assert.equal(r.usage.prompt_tokens, lp.tokens.length);
});

test('completions: streaming', async () => {
  const stream = await client.completions.create({
    model, prompt: 'Once upon a time', max_tokens: 12, logit_bias: ban, stream: true, stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  for (const c of chunks) {
    assert.equal(c.id, chunks[0].id);
    assert.equal(c.object, 'text_completion');
  }
  const last = chunks[chunks.length - 1];
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.completion_tokens, 12);
  assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason === 'length').length, 1);
});

test('response_format json_object yields JSON (a valid prefix if cut by max_tokens)', async () => {
  const r = await client.chat.completions.create({
    model, messages: ask('Reply with a JSON object like {"answer": 42}.'), response_format: { type: 'json_object' },
    max_tokens: 200, seed: 3, ...noThinking,
  });
  const text = r.choices[0].message.content;
  assert.match(text.trimStart(), /^\{/, 'a JSON object');
  if (r.choices[0].finish_reason === 'length') {
    assert.ok(isJsonPrefix(text), `not a JSON prefix: ${JSON.stringify(text)}`);
  } else {
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.equal(typeof JSON.parse(text), 'object');
  }
});

test('invalid requests are 400 naming the parameter', async () => {
  const bad = async (params, param) => {
    await assert.rejects(client.chat.completions.create({ model, messages: ask('x'), ...params }),
      (e) => e instanceof OpenAI.BadRequestError && e.param === param || assert.fail(`${e.status} ${e.param} ${e.message}`));
  };
  await bad({ temperature: 5 }, 'temperature');
  await bad({ temperature: 'hot' }, 'temperature');
  await bad({ max_tokens: -3 }, 'max_tokens');
  await bad({ messages: 'hello' }, 'messages');
  checkError(await api(server, 'v1/chat/completions', { method: 'POST', key: KEY, body: '{"model": ' }), 400);
});

test('eight concurrent streams all complete', async () => {
  const results = await Promise.all(Array.from({ length: 8 }, (_, k) => collectStream({
    messages: ask(`Stream number ${k}`), max_tokens: 24, seed: k, logit_bias: ban, stream_options: { include_usage: true },
  })));
  const ids = new Set();
  for (const chunks of results) {
    const s = checkStream(chunks, { includeUsage: true });
    assert.equal(s.finish, 'length');
    assert.equal(s.usage.completion_tokens, 24);
    ids.add(chunks[0].id);
  }
  assert.equal(ids.size, 8, 'each stream has its own id');
});

test('a client that disconnects mid-stream cancels its generation', async () => {
  const metrics = async () => parseMetrics((await api(server, 'metrics', { key: KEY })).text);
  const cancelledBefore = metricSum(await metrics(), 'baleen_requests_finished_total', { reason: 'cancelled' });
  const controller = new AbortController();
  const stream = await client.chat.completions.create(
    { model, messages: ask('Talk for a long time.'), stream: true, max_tokens: 3500, logit_bias: ban },
    { signal: controller.signal });
  let seen = 0;
  let finished = false;
  try {
    for await (const chunk of stream) {
      if (chunk.choices[0]?.finish_reason) finished = true;
      if (++seen === 3) controller.abort();
    }
  } catch (e) {
    // The SDK ends the iteration quietly when its own signal aborts; anything else must be that abort.
    assert.ok(e instanceof OpenAI.APIUserAbortError || e.name === 'AbortError', String(e));
  }
  assert.ok(!finished, 'the stream was cut before its end');
  const settled = await waitFor(async () => {
    const m = await metrics();
    return metricSum(m, 'baleen_requests_running') === 0 &&
      metricSum(m, 'baleen_requests_finished_total', { reason: 'cancelled' }) > cancelledBefore;
  }, { timeoutMs: 2000 });
  const m = await metrics();
  assert.ok(settled, `running=${metricSum(m, 'baleen_requests_running')} cancelled=` +
    `${metricSum(m, 'baleen_requests_finished_total', { reason: 'cancelled' })} (before ${cancelledBefore})`);
  const next = await client.chat.completions.create({ model, messages: ask('Still there?'), max_tokens: 4 });
  assert.ok(['stop', 'length'].includes(next.choices[0].finish_reason));
});

test('a client that disconnects from a non-streaming request cancels it too', async () => {
  const metrics = async () => parseMetrics((await api(server, 'metrics', { key: KEY })).text);
  const cancelledBefore = metricSum(await metrics(), 'baleen_requests_finished_total', { reason: 'cancelled' });
  const controller = new AbortController();
  const pending = client.chat.completions.create(
    { model, messages: ask('Write a long essay.'), max_tokens: 3500, logit_bias: ban }, { signal: controller.signal });
  await waitFor(async () => metricSum(await metrics(), 'baleen_requests_running') > 0, { timeoutMs: 2000, intervalMs: 5 });
  controller.abort();
  await assert.rejects(pending, (e) => e instanceof OpenAI.APIUserAbortError);
  const settled = await waitFor(async () => {
    const m = await metrics();
    return metricSum(m, 'baleen_requests_running') === 0 &&
      metricSum(m, 'baleen_requests_finished_total', { reason: 'cancelled' }) > cancelledBefore;
  }, { timeoutMs: 2000 });
  assert.ok(settled, 'the generation was cancelled within 2 s of the disconnect');
});

test('/tokenize and /detokenize round-trip', async () => {
  const content = 'Hello, world! 123 — ünïcödé';
  const t = await api(server, 'tokenize', { method: 'POST', key: KEY, body: { content } });
  assert.equal(t.status, 200, t.text);
  assert.ok(t.json.tokens.length > 5 && t.json.tokens.every(Number.isInteger));
  const d = await api(server, 'detokenize', { method: 'POST', key: KEY, body: { tokens: t.json.tokens } });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.content, content);
});

test('/metrics exposes the documented series', async () => {
  const response = await api(server, 'metrics', { key: KEY });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/plain/);
  const m = parseMetrics(response.text);
  const names = new Set([...m.keys()].map((k) => k.replace(/\{.*$/, '')));
  for (const name of ['baleen_requests_running', 'baleen_requests_waiting', 'baleen_requests_total',
    'baleen_requests_finished_total', 'baleen_prompt_tokens_total', 'baleen_generation_tokens_total',
    'baleen_kv_cache_usage_ratio']) {
    assert.ok(names.has(name), `${name} missing`);
  }
  for (const h of ['baleen_time_to_first_token_seconds', 'baleen_inter_token_latency_seconds',
    'baleen_e2e_request_latency_seconds', 'baleen_queue_time_seconds']) {
    for (const suffix of ['_bucket', '_sum', '_count']) assert.ok(names.has(h + suffix), `${h}${suffix} missing`);
    assert.ok(metricSum(m, h + '_count') > 0, `${h}_count is 0 after the requests above`);
  }
  assert.ok(metricSum(m, 'baleen_requests_total', { endpoint: '/v1/chat/completions', status: '200' }) > 0 ||
    [...m.keys()].some((k) => k.startsWith('baleen_requests_total{') && k.includes('chat')), 'chat requests counted');
  assert.ok(metricSum(m, 'baleen_generation_tokens_total') > 0);
  assert.ok(metricSum(m, 'baleen_requests_finished_total', { reason: 'length' }) > 0);
});

test('SIGTERM shuts the server down with exit code 0', async () => {
  const exit = await server.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${server.stderr.slice(-2000)}`);
});
