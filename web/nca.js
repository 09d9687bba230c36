// The loader of nca_web.wasm: plain exports, no wasm-bindgen. Inputs are copied into the
// module's memory through nca_alloc; results are read straight out of `memory` (views are made
// fresh after every call, because memory growth detaches old ones).

export async function loadEngine(url) {
  const t0 = performance.now();
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  let instance;
  if (WebAssembly.instantiateStreaming && res.headers.get('content-type') === 'application/wasm') {
    ({ instance } = await WebAssembly.instantiateStreaming(res, {}));
  } else {
    ({ instance } = await WebAssembly.instantiate(await res.arrayBuffer(), {}));
  }
  return new Engine(instance.exports, performance.now() - t0);
}

export class Engine {
  constructor(exports, loadMs) {
    this.x = exports;
    this.loadMs = loadMs;
    this.scratch = new Map();
  }
  get memory() { return this.x.memory.buffer; }
  // A buffer of `len` bytes in wasm memory reused per `key` (grown as needed).
  buf(key, len) {
    let b = this.scratch.get(key);
    if (!b || b.len < len) {
      if (b) this.x.nca_free(b.ptr, b.len);
      b = { ptr: this.x.nca_alloc(len), len };
      this.scratch.set(key, b);
    }
    return b.ptr;
  }
  bytesIn(key, bytes) {
    const p = this.buf(key, bytes.length);
    new Uint8Array(this.memory, p, bytes.length).set(bytes);
    return p;
  }
  floatsIn(key, floats) {
    const p = this.buf(key, floats.length * 4);
    new Float32Array(this.memory, p, floats.length).set(floats);
    return p;
  }
  textIn(key, s) {
    const b = new TextEncoder().encode(s);
    return [this.bytesIn(key, b), b.length];
  }
  f32(ptr, n) { return new Float32Array(this.memory, ptr, n); }
  u8(ptr, n) { return new Uint8Array(this.memory, ptr, n); }
  u32(ptr, n) { return new Uint32Array(this.memory, ptr, n); }
  error() { return new TextDecoder().decode(this.u8(this.x.nca_error_ptr(), this.x.nca_error_len())); }
  text() { return new TextDecoder().decode(this.u8(this.x.nca_text_ptr(), this.x.nca_text_len())).slice(); }
  // Calls export `name`; a nonzero status becomes an Error carrying the engine's message.
  call(name, ...args) {
    const r = this.x[name](...args);
    if (r !== 0) throw new Error(`${name}: ${this.error()}`);
  }
  // Loads a checkpoint's bytes into a panel (`classify_load`, `grow_load`, `refine_load`).
  load(fn, bytes) {
    const p = this.x.nca_alloc(bytes.length);
    new Uint8Array(this.memory, p, bytes.length).set(bytes);
    try { this.call(fn, p, bytes.length); } finally { this.x.nca_free(p, bytes.length); }
  }
}

// Puts an RGBA image from wasm memory onto `ctx`, scaled to the canvas without smoothing.
export function blit(ctx, rgba, w, h) {
  if (!ctx._tmp || ctx._tmp.width !== w || ctx._tmp.height !== h) {
    ctx._tmp = new OffscreenCanvas(w, h);
  }
  const t = ctx._tmp.getContext('2d');
  t.putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(ctx._tmp, 0, 0, ctx.canvas.width, ctx.canvas.height);
}

// Counts events per second over a sliding second.
export class Rate {
  constructor() { this.t0 = performance.now(); this.n = 0; this.value = 0; }
  add(k = 1) {
    this.n += k;
    const now = performance.now();
    if (now - this.t0 >= 1000) { this.value = this.n * 1000 / (now - this.t0); this.n = 0; this.t0 = now; }
  }
}
