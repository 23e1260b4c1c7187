// The chat page in a real browser: Debian's Chromium, headless, driven by playwright-core, against a real
// `baleen serve` on the tiny model. Streaming, stop, settings and errors use the server; markdown and XSS use a
// stubbed reply (page.route), because a random model cannot be asked for a given text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { importPackage, testConfig, makeTinyModel, structuralTokenIds, banning, startServer, api, parseMetrics, metricSum, waitFor } from './harness.mjs';

const CHROMIUM = process.env.BALEEN_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) {
  console.log(`# SKIP: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  process.exit(77);  // CTest SKIP_RETURN_CODE
}
const { chromium } = await importPackage('playwright-core');

const KEY = 'sk-browser-' + Math.random().toString(36).slice(2);
let config;
let server;
let browser;
let context;
let page;
let origin;
let modelId;
const requests = [];      // every URL the page asked for
const chatBodies = [];    // every body the page POSTed to /v1/chat/completions
const pageErrors = [];    // uncaught exceptions and CSP violations
const cspViolations = []; // securitypolicyviolation events on the page, across reloads
let stubReply = null;     // when set, the next chat request gets this SSE body instead of the server's reply
let ban;

before(async () => {
  config = testConfig('server_browser');
  const model = makeTinyModel(config);
  ban = banning(structuralTokenIds(config, model));
  server = await startServer(config, model, ['--api-key', KEY, '--ctx', '4096']);
  origin = new URL(server.url).origin;
  modelId = (await api(server, 'v1/models', { key: KEY })).json.data[0].id;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  context = await browser.newContext({ viewport: { width: 1100, height: 860 }, permissions: ['clipboard-read', 'clipboard-write'] });
  context.on('request', (r) => requests.push(r.url()));
  // Every page reports what its Content-Security-Policy blocks: kept in the page and logged as a console error.
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(e.effectiveDirective);
      console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline code'}`);
    });
  });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text());
    if (m.text().startsWith('CSP violation')) cspViolations.push(m.text());
  });
  await page.route('**/v1/chat/completions', async (route) => {
    const body = JSON.parse(route.request().postData());
    chatBodies.push(body);
    if (stubReply) {
      const reply = stubReply;
      stubReply = null;
      return route.fulfill({ status: 200, headers: { 'Content-Type': 'text/event-stream' }, body: reply });
    }
    // The real server, with EOS and the think tags banned so that a reply streams until max_tokens or Stop.
    return route.continue({ postData: JSON.stringify({ ...body, logit_bias: ban }) });
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server && !server.exit) await server.stop();
});

const lastAssistant = () => page.locator('.message.assistant').last();
const streaming = () => page.locator('#stop').isVisible();

async function setSettings(values) {
  await page.click('#settings-button');
  for (const [id, value] of Object.entries(values)) {
    if (typeof value === 'boolean') await page.setChecked('#' + id, value);
    else await page.fill('#' + id, String(value));
  }
  await page.click('#settings-close');
}

async function sendMessage(text) {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

test('the page loads, asks for the API key, then shows the model', async () => {
  await page.goto(server.url);
  assert.equal(await page.evaluate(() => document.compatMode), 'CSS1Compat', 'standards mode');
  await page.waitForFunction(() => /API key/.test(document.querySelector('#model-name').textContent));
  await setSettings({ 'api-key': KEY });
  await page.waitForFunction((id) => document.querySelector('#model-name').textContent === id, modelId);
});

test('reasoning streams live into the Thinking panel; Stop keeps the partial reply', async () => {
  const metrics = async () => parseMetrics((await api(server, 'metrics', { key: KEY })).text);
  const cancelledBefore = metricSum(await metrics(), 'baleen_requests_finished_total', { reason: 'cancelled' });
  await setSettings({ 'max-tokens': 3500 });
  await sendMessage('Think about whales.');
  const reasoning = lastAssistant().locator('.reasoning-text');
  await page.waitForFunction(() => (document.querySelector('.message.assistant:last-child .reasoning-text')?.textContent.length || 0) > 0);
  const early = (await reasoning.textContent()).length;
  assert.ok(await streaming(), 'the reply was still streaming');
  assert.equal(await lastAssistant().locator('.reasoning').getAttribute('open'), '', 'the panel is open while thinking');
  await page.waitForFunction((n) => document.querySelector('.message.assistant:last-child .reasoning-text').textContent.length > n, early);
  await page.screenshot({ path: path.join(config.workDir, 'chat-streaming.png') });
  await page.click('#stop');
  await page.locator('#send').waitFor({ state: 'visible' });
  assert.equal(await lastAssistant().locator('.notice').textContent(), 'Stopped.');
  assert.ok((await reasoning.textContent()).length > early, 'the partial reasoning stays');
  assert.equal(await lastAssistant().locator('.content').getAttribute('aria-busy'), 'false');
  const cancelled = await waitFor(async () =>
    metricSum(await metrics(), 'baleen_requests_finished_total', { reason: 'cancelled' }) > cancelledBefore);
  assert.ok(cancelled, 'the server counted the request as cancelled');
});

test('with thinking off the answer streams into the message', async () => {
  await setSettings({ thinking: false, 'max-tokens': 40 });
  await sendMessage('Now answer directly.');
  await page.waitForFunction(() => document.querySelectorAll('.message.assistant').length === 2);
  await page.locator('#send').waitFor({ state: 'visible' });
  const message = lastAssistant();
  assert.ok((await message.locator('.content').textContent()).length > 0, 'content shown');
  assert.equal(await message.locator('.reasoning').isHidden(), true, 'no Thinking panel');
  assert.equal(await message.locator('.notice').textContent(), 'Stopped at the token limit.');
  assert.match(await message.locator('.meta').textContent(), /^40 tokens/);
  const body = chatBodies[chatBodies.length - 1];
  assert.deepEqual(body.thinking, { type: 'disabled' });
  assert.equal(body.max_tokens, 40);
  assert.equal(body.stream, true);
  assert.deepEqual(body.messages.map((m) => m.role), ['user', 'assistant', 'user']);
  assert.ok(body.messages.every((m) => Object.keys(m).join() === 'role,content'), 'reasoning is not resent');
});

test('an API error is shown inline and the failed turn is not resent', async () => {
  await setSettings({ temperature: 5 });
  await sendMessage('This one fails.');
  const error = lastAssistant().locator('.error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.textContent(), /temperature/);
  assert.match(await error.textContent(), /HTTP 400/);
  await setSettings({ temperature: 0.6 });
});

// Markdown with every construct the renderer knows, and markup that must come out as text.
const MARKDOWN = [
  '## Heading <b>not bold</b>',
  '',
  'Some **bold**, *italic*, `inline <code>` and a [safe link](https://example.com/a_b_c).',
  '<img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script>',
  '[bad link](javascript:window.__xss=3) and <a href="javascript:window.__xss=5">raw anchor</a>',
  '',
  '- item one',
  '- item **two**',
  '  1. nested',
  '  2. list',
  '',
  '> quoted <iframe src="https://example.com/"></iframe>',
  '',
  '| a | b |',
  '|---|---|',
  '| 1 | <u>2</u> |',
  '',
  '```js',
  'const x = "</code></pre><img src=x onerror=window.__xss=4>";',
  '```',
].join('\n');

function sseReply(reasoning, content) {
  const chunk = (delta, finish = null) => 'data: ' + JSON.stringify({
    id: 'stub', object: 'chat.completion.chunk', created: 1, model: 'stub', choices: [{ index: 0, delta, finish_reason: finish }],
  });
  // CRLF line ends and comment lines, as a proxy might deliver them.
  return [chunk({ role: 'assistant', content: '' }), ': keep-alive', chunk({ reasoning_content: reasoning }),
    chunk({ content: content.slice(0, 40) }), chunk({ content: content.slice(40) }), chunk({}, 'stop'), 'data: [DONE]']
    .map((line) => line + '\r\n\r\n').join('');
}

test('markdown renders, and model-supplied HTML stays text', async () => {
  stubReply = sseReply('Planning the <b>answer</b>.', MARKDOWN);
  await sendMessage('Show me markdown.');
  await page.waitForFunction(() => document.querySelectorAll('.message.assistant').length === 4);
  await page.locator('#send').waitFor({ state: 'visible' });
  const content = lastAssistant().locator('.content');
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no injected script ran');
  assert.equal(await content.locator('img, script, iframe, u, b').count(), 0, 'no element from the model');
  const text = await content.textContent();
  for (const s of ['<img src=x onerror="window.__xss=1">', '<script>window.__xss=2</script>', '<b>not bold</b>', '<u>2</u>']) {
    assert.ok(text.includes(s), `shown as text: ${s}`);
  }
  assert.equal(await content.locator('a[href^="javascript"]').count(), 0);
  assert.equal(await content.locator('a[href="https://example.com/a_b_c"]').count(), 1, 'the markdown link');
  for (const link of await content.locator('a').all()) {  // the bare URL inside the quoted iframe is linked too
    assert.match(await link.getAttribute('href'), /^https:\/\/example\.com\//);
    assert.match(await link.getAttribute('rel'), /noopener/);
  }
  for (const selector of ['h2', 'strong', 'em', 'p code', 'ul > li', 'ul ol > li', 'blockquote', 'table th', 'pre code']) {
    assert.ok(await content.locator(selector).count() > 0, `${selector} rendered`);
  }
  assert.equal(await content.locator('pre code').textContent(), 'const x = "</code></pre><img src=x onerror=window.__xss=4>";');
  const reasoning = lastAssistant().locator('.reasoning');
  assert.equal(await reasoning.getAttribute('open'), null, 'the Thinking panel folds once the answer starts');
  await reasoning.locator('summary').click();
  assert.equal(await reasoning.getAttribute('open'), '', 'and the user can reopen it');
  assert.equal(await reasoning.locator('.reasoning-text').textContent(), 'Planning the <b>answer</b>.');

  const body = chatBodies[chatBodies.length - 1];
  assert.ok(!body.messages.some((m) => m.content === 'This one fails.'), 'the failed turn was not resent');
  assert.equal(body.messages.length, 5);

  await content.locator('.copy-code').click();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'const x = "</code></pre><img src=x onerror=window.__xss=4>";');

  await page.screenshot({ path: path.join(config.workDir, 'chat-light.png'), fullPage: false });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: path.join(config.workDir, 'chat-dark.png') });
  await page.setViewportSize({ width: 390, height: 800 });
  await page.screenshot({ path: path.join(config.workDir, 'chat-mobile.png') });
  await page.setViewportSize({ width: 1100, height: 860 });
  await page.emulateMedia({ colorScheme: 'light' });
});

test('the SSE reader handles events split anywhere', async () => {
  const result = await page.evaluate(() => {
    const wire = 'data: {"a":1}\r\n\r\n: keep-alive\n\ndata: x\ndata:y\n\nevent: error\ndata: {"e":2}\r\rdata: [DONE]\n\n';
    const feed = (pieces) => {
      const events = [];
      const parser = new window.baleen.SseParser((e) => events.push(e));
      for (const p of pieces) parser.push(p);
      parser.end();
      return JSON.stringify(events);
    };
    const whole = feed([wire]);
    const failures = [];
    for (let cut = 0; cut <= wire.length; cut++) {
      if (feed([wire.slice(0, cut), wire.slice(cut)]) !== whole) failures.push(cut);
    }
    if (feed([...wire]) !== whole) failures.push('per character');
    return { whole, failures };
  });
  assert.deepEqual(result.failures, []);
  assert.deepEqual(JSON.parse(result.whole), [
    { event: 'message', data: '{"a":1}' }, { event: 'message', data: 'x\ny' },
    { event: 'error', data: '{"e":2}' }, { event: 'message', data: '[DONE]' }]);
});

test('settings survive a reload', async () => {
  await page.reload();
  await page.waitForFunction((id) => document.querySelector('#model-name').textContent === id, modelId);
  assert.equal(await page.isChecked('#thinking'), false);
  assert.equal(await page.inputValue('#max-tokens'), '40');
  assert.equal(await page.inputValue('#api-key'), KEY);
  assert.equal(await page.inputValue('#temperature'), '0.6');
});

test('the page ran under a policy without unsafe-inline, and violated it nowhere', async () => {
  const policy = (await api(server, '')).headers.get('content-security-policy');
  assert.equal(policy, "default-src 'none'; script-src 'self'; style-src 'self'; img-src data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  assert.doesNotMatch(await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content'), /unsafe/);
  for (const file of ['chat.js', 'chat.css']) assert.ok(requests.includes(origin + '/' + file), `${file} was loaded`);
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('header.top')).position), 'sticky',
    'the style sheet applies');
  assert.deepEqual(cspViolations, [], 'nothing the page did in this session was blocked');

  // The control: the policy is in force and the listener sees it. On a page of its own, so that these deliberate
  // violations stay out of pageErrors.
  const probe = await context.newPage();
  await probe.goto(server.url);
  await probe.waitForFunction(() => window.baleen !== undefined);
  const blocked = await probe.evaluate(async () => {
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true;';
    document.body.append(script);
    const styled = document.createElement('div');
    styled.setAttribute('style', 'color: rgb(1, 2, 3)');
    document.body.append(styled);
    for (let i = 0; i < 100 && new Set(window.__cspViolations).size < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const directives = [...new Set(window.__cspViolations)].sort();
    return { ran: window.__inlineRan === true, color: getComputedStyle(styled).color, directives };
  });
  await probe.close();
  assert.equal(blocked.ran, false, 'an inline script does not run');
  assert.notEqual(blocked.color, 'rgb(1, 2, 3)', 'a style attribute does not apply');
  assert.deepEqual(blocked.directives, ['script-src-elem', 'style-src-attr']);
});

test('the page never contacted anything but its own server', async () => {
  const foreign = requests.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('data:'));
  assert.deepEqual(foreign, []);
  assert.ok(requests.length > 5);
  assert.deepEqual(pageErrors, []);
});

test('SIGTERM shuts the server down with exit code 0', async () => {
  await browser.close();
  browser = null;
  assert.deepEqual(await server.stop(), { code: 0, signal: null });
});
