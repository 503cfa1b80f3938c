'use strict';
// Arrow's client for handlers: the node's key-value stores, queues and buckets, from inside a
// sandbox. Node's standard library only. It speaks the node's /v1 API over the Unix socket in
// $ARROW_API_SOCKET with the sandbox's token in $ARROW_TOKEN; an arrow reaches only what its
// manifest binds. See the runtime README ("Services from a handler").
//
//   const arrow = require('arrow');
//   await arrow.kv('carts').put('k', 'v');
//   await arrow.kv('carts').get('k');            // 'v'; null when missing
//   await arrow.queue('orders').send({ id: 7 });  // objects go as JSON
//   await arrow.bucket('images').put('a.png', buffer, 'image/png');

const http = require('http');

const DEFAULT_SOCKET = '/run/arrow/api.sock';

/** A refusal of the node: status (403, 404, 413...), code ('forbidden'...), message, field. */
class ArrowError extends Error {
  constructor(status, code, message, field) {
    super(`${status} ${code}: ${message}`);
    this.name = 'ArrowError';
    this.status = status;
    this.code = code;
    this.field = field === undefined ? null : field;
    this.detail = message;
  }
}

const quote = (text) => String(text).split('/').map(encodeURIComponent).join('/');

function encode(value) {
  if (Buffer.isBuffer(value)) {
    return [value, 'application/octet-stream'];
  }
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    return [Buffer.from(value), 'application/octet-stream'];
  }
  if (typeof value === 'string') {
    return [Buffer.from(value, 'utf8'), 'text/plain; charset=utf-8'];
  }
  return [Buffer.from(JSON.stringify(value), 'utf8'), 'application/json'];
}

/** One call to the node: resolves to { status, headers, body: Buffer }, or null for a 404 when missingOk. */
function request(method, path, body, contentType, missingOk, extraHeaders) {
  return new Promise((resolve, reject) => {
    const token = process.env.ARROW_TOKEN;
    if (!token) {
      reject(new ArrowError(0, 'no_token', 'ARROW_TOKEN is not set: this runs only inside an arrow\'s sandbox'));
      return;
    }
    const headers = { ...(extraHeaders || {}), Authorization: `Bearer ${token}` };
    if (body !== undefined) {
      headers['Content-Type'] = contentType || 'application/octet-stream';
      headers['Content-Length'] = body.length;
    }
    const req = http.request({
      socketPath: process.env.ARROW_API_SOCKET || DEFAULT_SOCKET,
      host: 'arrow',
      method,
      path,
      headers,
      agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        if (res.statusCode === 404 && missingOk) {
          resolve(null);
          return;
        }
        if (res.statusCode >= 400) {
          let error = {};
          try {
            error = JSON.parse(data.toString('utf8')).error || {};
          } catch (e) {
            // not the node's JSON: the text is the message
          }
          reject(new ArrowError(res.statusCode, error.code || 'error', error.message || data.toString('utf8'),
            error.field));
          return;
        }
        resolve({ status: res.statusCode, headers: res.headers, body: data });
      });
    });
    // No socket (not run by a node), refused, reset: the node could not be reached.
    req.on('error', (e) => reject(new ArrowError(0, 'unreachable', `cannot reach the node: ${e.message}`)));
    req.end(body);
  });
}

const json = (reply) => (reply.body.length ? JSON.parse(reply.body.toString('utf8')) : null);

/** A key-value store the arrow binds. */
class KV {
  constructor(store) {
    this.store = store;
  }

  keyPath(key) {
    return `/v1/kv/${quote(this.store)}/keys/${quote(key)}`;
  }

  /**
   * Writes value (string, Buffer, or anything JSON); resolves to the new revision. options.revision:
   * only if the key is still at that revision (compare-and-set); options.create: only if the key
   * does not exist; otherwise an ArrowError 412 precondition_failed. A number or string for
   * options is the ttl.
   */
  async put(key, value, options) {
    const opts = typeof options === 'object' && options !== null ? options : { ttl: options };
    const [body, type] = encode(value);
    const query = opts.ttl === undefined ? '' : `?ttl=${encodeURIComponent(String(opts.ttl))}`;
    const headers = {};
    if (opts.revision !== undefined) {
      headers['If-Match'] = `"${opts.revision}"`;
    }
    if (opts.create) {
      headers['If-None-Match'] = '*';
    }
    return json(await request('PUT', this.keyPath(key) + query, body, type, false, headers)).revision;
  }

  /** { value (text), revision }, or null when the key is missing. */
  async getEntry(key) {
    const reply = await request('GET', this.keyPath(key), undefined, undefined, true);
    if (reply === null) {
      return null;
    }
    return { value: reply.body.toString('utf8'), revision: Number(String(reply.headers.etag || '0').replace(/"/g, '')) };
  }

  /** The value as a Buffer; null when the key is missing. */
  async getBuffer(key) {
    const reply = await request('GET', this.keyPath(key), undefined, undefined, true);
    return reply === null ? null : reply.body;
  }

  /** The value as text (UTF-8); null when the key is missing. */
  async get(key) {
    const value = await this.getBuffer(key);
    return value === null ? null : value.toString('utf8');
  }

  /** The value parsed as JSON; null when the key is missing. */
  async getJson(key) {
    const value = await this.get(key);
    return value === null ? null : JSON.parse(value);
  }

  async delete(key) {
    await request('DELETE', this.keyPath(key));
  }

  /** The keys that start with prefix, every page of them. */
  async list(prefix = '') {
    const keys = [];
    let cursor = null;
    do {
      const query = new URLSearchParams({ prefix });
      if (cursor) {
        query.set('cursor', cursor);
      }
      const page = json(await request('GET', `/v1/kv/${quote(this.store)}/keys?${query}`));
      (page.keys || []).forEach((entry) => keys.push(entry.key));
      cursor = page.next;
    } while (cursor);
    return keys;
  }
}

/** A queue the arrow binds. */
class Queue {
  constructor(name) {
    this.name = name;
  }

  path(action) {
    return `/v1/queues/${quote(this.name)}/${action}`;
  }

  /** Sends message (string, Buffer, or anything JSON); resolves to its id. */
  async send(message, delay) {
    const [body, type] = encode(message);
    const query = delay === undefined ? '' : `?delay=${encodeURIComponent(String(delay))}`;
    return json(await request('POST', this.path('messages') + query, body, type)).id;
  }

  /**
   * Up to max messages, waiting up to wait seconds for the first: objects with id, body (text, or
   * absent when not UTF-8), bodyBase64, receiptHandle, receiveCount.
   */
  async receive(max = 1, wait = 0) {
    const body = Buffer.from(JSON.stringify({ maxMessages: max, waitTime: `${wait}s` }), 'utf8');
    return json(await request('POST', this.path('receive'), body, 'application/json')).messages || [];
  }

  /** Acknowledges a received message: its receiptHandle, or the message itself. */
  async delete(handle) {
    const receiptHandle = typeof handle === 'object' && handle !== null ? handle.receiptHandle : handle;
    await request('POST', this.path('delete'), Buffer.from(JSON.stringify({ receiptHandle }), 'utf8'),
      'application/json');
  }
}

/** A bucket the arrow binds. */
class Bucket {
  constructor(name) {
    this.name = name;
  }

  objectPath(key) {
    return `/v1/buckets/${quote(this.name)}/objects/${quote(key)}`;
  }

  async put(key, data, contentType) {
    const [body, guessed] = encode(data);
    await request('PUT', this.objectPath(key), body, contentType || guessed);
  }

  /** The object's bytes as a Buffer; null when it is missing. */
  async get(key) {
    const reply = await request('GET', this.objectPath(key), undefined, undefined, true);
    return reply === null ? null : reply.body;
  }

  async delete(key) {
    await request('DELETE', this.objectPath(key));
  }

  /** The keys of the objects that start with prefix. */
  async list(prefix = '') {
    const keys = [];
    let cursor = null;
    do {
      const query = new URLSearchParams({ prefix });
      if (cursor) {
        query.set('cursor', cursor);
      }
      const page = json(await request('GET', `/v1/buckets/${quote(this.name)}/objects?${query}`)) || {};
      (page.objects || []).forEach((entry) => keys.push(entry.key));
      cursor = page.nextCursor;
    } while (cursor);
    return keys;
  }
}

module.exports = {
  ArrowError,
  KV,
  Queue,
  Bucket,
  kv: (store) => new KV(store),
  queue: (name) => new Queue(name),
  bucket: (name) => new Bucket(name),
};
