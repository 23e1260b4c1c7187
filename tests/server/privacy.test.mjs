// Privacy: `baleen serve` under strace opens no outbound connection of any kind while it serves, and writes no
// prompt text to its logs unless --log-content is given. Checks the README's "no byte of user data leaves the
// machine" at the system-call level rather than by reading the code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { testConfig, makeTinyModel, startServer, api } from './harness.mjs';

const STRACE = process.env.BALEEN_STRACE || '/usr/bin/strace';
const KEY = 'sk-privacy-' + Math.random().toString(36).slice(2);
// A string that appears nowhere but in the prompts below, so finding it in a log can only mean prompt text leaked.
const MARKER = 'PRIVATE-' + Math.random().toString(36).slice(2, 10).toUpperCase() + '-MARKER';
let config;
let model;
let server;
let traceFile;

before(async () => {
  assert.ok(fs.existsSync(STRACE), `${STRACE} missing (apt-get install strace)`);
  config = testConfig('server_privacy');
  model = makeTinyModel(config);
  traceFile = path.join(config.workDir, 'serve.strace');
  // -f follows every thread (the engine and connection threads); accept4 is traced too, only to prove the trace
  // saw the connections this test makes.
  server = await startServer(config, model, ['--api-key', KEY], {
    wrapper: [STRACE, '-f', '-e', 'trace=connect,sendto,sendmsg,accept,accept4', '-o', traceFile],
    // LeakSanitizer cannot run under ptrace; in the ASan build the leak check is left to the other server tests.
    env: { ...process.env, ASAN_OPTIONS: [process.env.ASAN_OPTIONS, 'detect_leaks=0'].filter(Boolean).join(':') },
  });
  // A killed strace detaches and leaves baleen running (strace 6.1 has no --kill-on-exit): kill baleen itself.
  const pid = serverPid();
  process.on('exit', () => { if (!server.exit) process.kill(pid, 'SIGKILL'); });
});

after(async () => {
  if (server && !server.exit) await server.stop({ pid: serverPid() });
});

// strace's child: SIGTERM must reach baleen itself (strace then exits with baleen's status).
function serverPid() {
  const children = fs.readFileSync(`/proc/${server.child.pid}/task/${server.child.pid}/children`, 'utf8').trim().split(/\s+/);
  assert.equal(children.length, 1, `strace has children ${children}`);
  return Number(children[0]);
}

async function drive() {
  const messages = [{ role: 'user', content: `Remember ${MARKER} please.` }];
  const chat = (extra) => api(server, 'v1/chat/completions', {
    method: 'POST', key: KEY, body: { model: 'm', messages, max_tokens: 16, ...extra },
  });
  assert.equal((await api(server, 'health')).status, 200);
  assert.equal((await api(server, 'v1/models', { key: KEY })).status, 200);
  assert.equal((await chat({})).status, 200);
  const stream = await chat({ stream: true, stream_options: { include_usage: true } });
  assert.equal(stream.status, 200);
  assert.match(stream.text, /data: \[DONE\]/);
  assert.equal((await chat({ thinking: { type: 'disabled' }, seed: 5 })).status, 200);
  // Failing requests too: an error path is where a server is most tempted to log the request.
  assert.equal((await chat({ temperature: 9 })).status, 400);
  assert.equal((await api(server, 'v1/chat/completions', { method: 'POST', body: { messages } })).status, 401);
  assert.equal((await api(server, 'v1/completions', {
    method: 'POST', key: KEY, body: { model: 'm', prompt: `Text with ${MARKER}`, max_tokens: 8 },
  })).status, 200);
  assert.equal((await api(server, 'tokenize', { method: 'POST', key: KEY, body: { content: MARKER } })).status, 200);
}

test('serving opens no outbound connection and logs no prompt text', async () => {
  await drive();
  const exit = await server.stop({ pid: serverPid() });
  assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${server.stderr.slice(-2000)}`);

  const trace = fs.readFileSync(traceFile, 'utf8').split('\n').filter(Boolean);
  assert.ok(trace.some((l) => /accept4?(\(| resumed>).*= \d+$/.test(l)), 'the trace saw the server accept connections');
  // connect(): none at all, whatever the address family, except AF_UNIX: glibc's name-service lookups try the
  // local nscd socket (/var/run/nscd/socket) when resolving a host or user name. That is a local IPC socket,
  // never the network.
  const connects = trace.filter((l) => /\bconnect\(/.test(l) && !/sa_family=AF_UNIX/.test(l));
  assert.deepEqual(connects, [], 'outbound connect() calls');
  // sendto()/sendmsg() with an explicit destination would be a datagram to somewhere (UDP, DNS); replies on the
  // accepted sockets carry no address (NULL / msg_name absent). Netlink (a query of the kernel's own interface
  // list, as getaddrinfo does) and AF_UNIX stay on the machine.
  const addressed = trace.filter((l) => /\b(sendto|sendmsg)\(/.test(l) && /sa_family=AF_(INET6?|PACKET)/.test(l));
  assert.deepEqual(addressed, [], 'datagrams sent to an address');

  for (const [name, text] of [['stdout', server.stdout], ['stderr', server.stderr]]) {
    assert.ok(!text.includes(MARKER), `prompt text appeared on the server's ${name}:\n${text.slice(-2000)}`);
  }
});

test('with --log-content the prompt is logged (so the check above can see a leak)', async () => {
  const logging = await startServer(config, model, ['--log-content']);
  try {
    const r = await api(logging, 'v1/chat/completions', {
      method: 'POST', body: { model: 'm', messages: [{ role: 'user', content: MARKER }], max_tokens: 4 },
    });
    assert.equal(r.status, 200);
  } finally {
    assert.deepEqual(await logging.stop(), { code: 0, signal: null });
  }
  assert.ok((logging.stdout + logging.stderr).includes(MARKER), 'the marker was logged with --log-content');
});
