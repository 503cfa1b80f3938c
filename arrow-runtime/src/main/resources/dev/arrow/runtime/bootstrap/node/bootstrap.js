'use strict';
// Arrow's node runtime: serves ARROW_HANDLER (file.export) over HTTP on $PORT. Node's standard
// library only. The protocol is in ../README.md: one POST per invocation, the event as the body,
// the result as the response; module state persists between invocations.

const fs = require('fs');
const http = require('http');
const path = require('path');
const { pathToFileURL } = require('url');
const { isUtf8 } = require('buffer');

// Arrow's client (require('arrow')) lives next to this file: its directory goes last on the
// module path, after any NODE_PATH of the arrow's own.
process.env.NODE_PATH = [process.env.NODE_PATH, __dirname].filter(Boolean).join(path.delimiter);
require('module')._initPaths();

const NO_DEADLINE_REMAINING_MS = 2147483647;
const MAX_BODY = 64 * 1024 * 1024;

function fail(message, error) {
  process.stderr.write(`arrow: ${message}\n`);
  if (error !== undefined) {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  }
  process.exit(1);
}

// 'dir/file.export.path': like Lambda, the file is the part of the last path segment before its
// first dot, the rest is a property path into the module.
function splitHandler(spec) {
  const slash = spec.lastIndexOf('/');
  const dot = spec.indexOf('.', slash + 1);
  if (spec === '' || spec.split('/').includes('..') || path.isAbsolute(spec) || dot <= slash + 1
      || dot === spec.length - 1) {
    fail(`bad handler '${spec}': expected file.export, the file relative to ${process.cwd()}`);
  }
  return [spec.slice(0, dot), spec.slice(dot + 1).split('.')];
}

async function loadModule(file) {
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const candidate = path.resolve(file + ext);
    if (!fs.existsSync(candidate)) {
      continue;
    }
    if (ext !== '.mjs') {
      try {
        return require(candidate);
      } catch (e) {
        if (e.code !== 'ERR_REQUIRE_ESM') {
          throw e;
        }
      }
    }
    return import(pathToFileURL(candidate).href);
  }
  return undefined;
}

async function loadHandler(spec) {
  const [file, properties] = splitHandler(spec);
  let module;
  try {
    module = await loadModule(file);
  } catch (e) {
    fail(`handler '${spec}' failed to load`, e);
  }
  if (module === undefined) {
    fail(`handler '${spec}': cannot find module '${file}' (tried ${file}.js, ${file}.mjs, ${file}.cjs in ${process.cwd()})`);
  }
  let value = module;
  for (const name of properties) {
    let next = value == null ? undefined : value[name];
    // An ES module namespace of a CommonJS file: its exports may sit on 'default' only.
    if (next === undefined && value === module && module && module.default != null) {
      next = module.default[name];
    }
    value = next;
  }
  if (typeof value !== 'function') {
    fail(`handler '${spec}': ${file} exports ${value === undefined ? 'no' : `a ${typeof value} as`} `
      + `'${properties.join('.')}'${value === undefined ? '' : ', not a function'}`);
  }
  return value;
}

function parseEvent(body) {
  if (body.length === 0) {
    return null;
  }
  if (isUtf8(body)) {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (e) {
      // not JSON: the raw bytes
    }
  }
  return body;
}

function context(invocationId, deadlineMs) {
  return {
    invocationId,
    awsRequestId: invocationId,
    functionName: FUNCTION_NAME,
    functionVersion: FUNCTION_VERSION,
    memoryLimitInMB: MEMORY_LIMIT_IN_MB,
    deadlineMs,
    getRemainingTimeInMillis() {
      return deadlineMs === null ? NO_DEADLINE_REMAINING_MS : Math.max(0, deadlineMs - Date.now());
    },
  };
}

function call(handler, event, ctx) {
  if (handler.length < 3) {
    return Promise.resolve().then(() => handler(event, ctx));
  }
  return new Promise((resolve, reject) => {
    const callback = (error, result) => (error != null ? reject(error) : resolve(result));
    try {
      const returned = handler(event, ctx, callback);
      if (returned && typeof returned.then === 'function') {
        returned.then(resolve, reject);
      }
    } catch (e) {
      reject(e);
    }
  });
}

function encode(result) {
  if (Buffer.isBuffer(result)) {
    return ['application/octet-stream', result];
  }
  if (result instanceof Uint8Array || ArrayBuffer.isView(result)) {
    return ['application/octet-stream', Buffer.from(result.buffer, result.byteOffset, result.byteLength)];
  }
  if (result instanceof ArrayBuffer) {
    return ['application/octet-stream', Buffer.from(result)];
  }
  const json = JSON.stringify(result === undefined ? null : result);
  return ['application/json', Buffer.from(json === undefined ? 'null' : json, 'utf8')];
}

function errorBody(error) {
  const isError = error instanceof Error;
  const stack = isError && typeof error.stack === 'string' ? error.stack : '';
  let errorType = error === null ? 'null' : typeof error;
  if (isError) {
    // class MyError extends Error {} keeps the name 'Error': prefer the class's own name.
    const className = error.constructor && error.constructor.name;
    errorType = error.name === 'Error' && className ? className : String(error.name);
  }
  return {
    errorType,
    errorMessage: isError ? String(error.message) : String(error),
    stackTrace: stack.split('\n').map((line) => line.trim())
      .filter((line) => line.startsWith('at ') && !line.includes(__filename)),
    text: stack !== '' ? stack : `${errorType}: ${isError ? error.message : String(error)}`,
  };
}

function send(res, status, contentType, body, headers) {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.length, ...headers });
  res.end(body);
}

function serve(handler, port) {
  const server = http.createServer({ requestTimeout: 0, headersTimeout: 0 }, (req, res) => {
    const chunks = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => {
      if (tooLarge) {
        res.shouldKeepAlive = false;
        send(res, 413, 'text/plain', Buffer.from(`body over ${MAX_BODY} bytes\n`), { Connection: 'close' });
        return;
      }
      invoke(handler, req, res, Buffer.concat(chunks, size));
    });
  });
  server.keepAliveTimeout = 0; // never close an idle connection: the node decides when to drop it
  server.on('clientError', (err, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    }
    socket.destroy();
  });
  server.on('error', (err) => fail(`cannot listen on 127.0.0.1:${port}`, err));
  server.listen(port, '127.0.0.1');
}

function invoke(handler, req, res, body) {
  const invocationId = req.headers['arrow-invocation-id'] || '';
  const deadline = Number.parseInt(req.headers['arrow-deadline-ms'], 10);
  const ctx = context(invocationId, Number.isFinite(deadline) ? deadline : null);
  call(handler, parseEvent(body), ctx)
    .then(encode)
    .then(([contentType, out]) => send(res, 200, contentType, out, {}), (error) => {
      const { text, ...payload } = errorBody(error);
      const prefix = `${invocationId || '-'} `;
      process.stderr.write(text.split('\n').map((line) => prefix + line + '\n').join(''));
      send(res, 500, 'application/json', Buffer.from(JSON.stringify(payload), 'utf8'),
        { 'Arrow-Error': 'unhandled' });
    });
}

let FUNCTION_NAME = '';
let FUNCTION_VERSION = '';
let MEMORY_LIMIT_IN_MB = null;

async function main() {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    process.stderr.write(`arrow: PORT must be a TCP port, not '${process.env.PORT}'\n`);
    process.exit(2);
  }
  FUNCTION_NAME = process.env.ARROW_NAME || '';
  FUNCTION_VERSION = process.env.ARROW_REVISION || '';
  const limit = process.env.ARROW_MEMORY_LIMIT_BYTES;
  MEMORY_LIMIT_IN_MB = limit && /^[0-9]+$/.test(limit) ? Math.floor(Number(limit) / (1024 * 1024)) : null;
  const handler = await loadHandler(process.env.ARROW_HANDLER || '');
  serve(handler, port);
}

main();
