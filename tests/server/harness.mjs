// Shared helpers of the server tests: paths from the environment, the tiny model, starting and stopping
// `baleen serve`, and small readers for /metrics and streamed JSON. Test-only code, no test cases here.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

// The npm packages, imported once their presence is checked: a bare import of a missing package fails with a
// resolver error that does not say how to get it.
export async function importPackage(name) {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'node_modules', name);
  if (!fs.existsSync(dir)) throw new Error(`${dir} missing: run tests/server/fetch.sh (scripts/test.sh does)`);
  return import(name);
}

// CTest passes these (tests/CMakeLists.txt); by hand: BALEEN_BIN=build/release/tools/baleen ... node FILE.
export function testConfig(name) {
  const bin = process.env.BALEEN_BIN;
  const tinyModelTool = process.env.BALEEN_TINY_MODEL_TOOL;
  if (!bin || !tinyModelTool) {
    throw new Error('set BALEEN_BIN and BALEEN_TINY_MODEL_TOOL (tests/CMakeLists.txt does) to run ' + name);
  }
  const workDir = path.join(process.env.BALEEN_TEST_WORK_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'baleen-')), name);
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  return { bin, tinyModelTool, workDir };
}

// The random-weight DeepSeek-V3-architecture model: its text is noise, but every stage of the server runs.
export function makeTinyModel(config) {
  const model = path.join(config.workDir, 'tiny-deepseek2.gguf');
  run(config.tinyModelTool, ['--arch', 'deepseek2', '--mtp', model]);
  return model;
}

function run(bin, args) {
  const result = spawnSync(bin, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

// Token ids that end or restructure a reply (EOS, BOS, role markers, think tags). Tests that need a reply of an
// exact length ban them with logit_bias: a random model emits EOS at any step, which would make lengths flaky.
export function structuralTokenIds(config, model) {
  const info = JSON.parse(run(config.bin, ['inspect', model, '--json'])).tokenizer;
  const ids = new Set([info.eos_token_id, info.bos_token_id]);
  for (const marker of ['<think>', '</think>', '<｜User｜>', '<｜Assistant｜>']) {
    const encoded = JSON.parse(run(config.bin, ['tokenize', model, '--json', marker])).ids;
    if (encoded.length === 1) ids.add(encoded[0]);
  }
  return [...ids].filter((id) => Number.isInteger(id));
}
export const banning = (ids) => Object.fromEntries(ids.map((id) => [String(id), -100]));

// Servers still running when this process ends (a failed assertion, an exception) are killed, so a failing test
// never leaves a server listening; a watchdog below CTest's TIMEOUT ends a hung run the same way.
const running = new Set();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });
setTimeout(() => {
  console.error('# watchdog: the test file ran for 100 s; stopping');
  process.exit(1);
}, 100000).unref();

// Starts `baleen serve MODEL --port 0 ...` (optionally under a wrapper such as strace) and resolves once it prints
// its URL. The returned handle collects stdout/stderr and stops the server with SIGTERM.
export async function startServer(config, model, extraArgs = [], { wrapper = [], readyTimeoutMs = 20000, env } = {}) {
  const args = ['serve', model, '--host', '127.0.0.1', '--port', '0', '--threads', '2', ...extraArgs];
  const argv = [...wrapper, config.bin, ...args];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  running.add(child);
  const server = { child, stdout: '', stderr: '', url: '', exit: null };
  server.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    running.delete(child);
    server.exit = { code, signal };
    resolve(server.exit);
  }));
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { server.stderr += d; });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print its URL in ${readyTimeoutMs} ms\n` +
      `stdout: ${server.stdout}\nstderr: ${server.stderr}`)), readyTimeoutMs);
    child.stdout.on('data', (d) => {
      server.stdout += d;
      const m = !server.url && server.stdout.match(/http:\/\/([^\s/]+):(\d+)\//);
      if (m) {
        server.url = `http://127.0.0.1:${m[2]}/`;
        server.port = Number(m[2]);
        clearTimeout(timer);
        resolve();
      }
    });
    server.exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${JSON.stringify(e)}) before listening\nstderr: ${server.stderr}`));
    });
  });
  // Sends SIGTERM (to `pid`, by default the spawned process) and waits for the exit, killing after timeoutMs.
  server.stop = async ({ pid = child.pid, timeoutMs = 10000 } = {}) => {
    if (server.exit) return server.exit;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const exit = await server.exited;
    clearTimeout(timer);
    return exit;
  };
  return server;
}

// fetch against the server with the JSON body and bearer key filled in.
export async function api(server, pathname, { method = 'GET', body, key, headers = {} } = {}) {
  const h = { ...headers };
  if (key) h.Authorization = `Bearer ${key}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const response = await fetch(new URL(pathname, server.url), {
    method, headers: h, body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON: callers look at text */ }
  return { status: response.status, headers: response.headers, text, json };
}

// Prometheus text → Map from `name{labels}` (labels as printed) to value; also sum(name, filter).
export function parseMetrics(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/);
    if (m) samples.set(m[1] + (m[2] || ''), Number(m[3]));
  }
  return samples;
}
export function metricSum(samples, name, labelFilter = {}) {
  let total = 0;
  for (const [key, value] of samples) {
    const m = key.match(/^([^{]+)(?:\{(.*)\})?$/);
    if (m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labelFilter).every(([k, v]) => labels[k] === v)) total += value;
  }
  return total;
}

export async function waitFor(predicate, { timeoutMs = 2000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// Whether `text` can be extended to a valid JSON text (a reply cut by max_tokens under json_object must still be
// one). A small recursive-descent reader that treats the end of input as "could continue".
export function isJsonPrefix(text) {
  let i = 0;
  const END = Symbol('end');
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; if (i >= text.length) throw END; };
  const literal = (word) => {
    for (const c of word) {
      if (i >= text.length) throw END;
      if (text[i++] !== c) throw new Error('bad literal');
    }
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) throw END;
      const c = text[i++];
      if (c === '"') return;
      if (c === '\\') {
        if (i >= text.length) throw END;
        const e = text[i++];
        if (e === 'u') {
          for (let k = 0; k < 4; k++) {
            if (i >= text.length) throw END;
            if (!/[0-9a-fA-F]/.test(text[i++])) throw new Error('bad \\u escape');
          }
        } else if (!'"\\/bfnrt'.includes(e)) throw new Error('bad escape');
      } else if (c < ' ') throw new Error('control character in string');
    }
  };
  const number = () => {
    const m = text.slice(i).match(/^-?(0|[1-9]\d*)?(\.\d*)?([eE][+-]?\d*)?/);
    i += m[0].length;
    if (i >= text.length) throw END;
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(m[0])) throw new Error('bad number');
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Error('expected key');
        string(); ws();
        if (text[i++] !== ':') throw new Error('expected :');
        value(); ws();
        const d = text[i++];
        if (d === '}') return;
        if (d !== ',') throw new Error('expected , or }');
      }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value(); ws();
        const d = text[i++];
        if (d === ']') return;
        if (d !== ',') throw new Error('expected , or ]');
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    throw new Error('unexpected ' + JSON.stringify(c));
  };
  try {
    value();
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
    return i === text.length;
  } catch (e) {
    if (e === END) return true;
    return false;
  }
}
