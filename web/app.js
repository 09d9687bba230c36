// The playground: one panel per model family. A panel is an object with `id`, `init(ctx)`,
// `frame(now)` (called on every animation frame while its tab is shown) and optional `debug`
// functions; adding a family (attention, generation, ...) means adding one object to PANELS and
// one <section> to index.html.
import { loadEngine, blit, Rate } from './nca.js';

const $ = (id) => document.getElementById(id);
const metrics = { first_frame_ms: null };
let engine, site;

const TAB10 = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function status(msg, isError = false) {
  const s = $('status');
  s.textContent = msg;
  s.classList.toggle('error', isError);
  if (isError) console.warn(msg);
}

// The control groups that every panel repeats, written once here. In index.html a
// `<div class="controls">` inside `<section id="panel-P">` asks for them by attributes, and gets
// them in this order before what it already holds:
//   data-buttons="act:label|act"      <button data-act="act">label</button>, the label the act when omitted
//   data-tools="value:label|value"    radio inputs name="P-tool" with those values, the first checked
//   data-range="NAME min max step value [unit]"
//                                     <label>NAME <input type="range" id="P-NAME" ...></label>; with a
//                                     unit, also the value shown in <span id="P-NAME-v"> and the unit
function expandControls() {
  const pairs = (s) => s.split('|').map((p) => { const [k, ...l] = p.split(':'); return [k, l.length ? l.join(':') : k]; });
  for (const el of document.querySelectorAll('.controls[data-buttons], .controls[data-tools], .controls[data-range]')) {
    const p = el.closest('section').id.replace(/^panel-/, ''), d = el.dataset, html = [];
    if (d.buttons) for (const [act, label] of pairs(d.buttons)) html.push(`<button data-act="${act}">${label}</button>`);
    if (d.tools) {
      pairs(d.tools).forEach(([value, label], i) =>
        html.push(`<label><input type="radio" name="${p}-tool" value="${value}"${i ? '' : ' checked'}> ${label}</label>`));
    }
    if (d.range) {
      const [name, min, max, step, value, ...unit] = d.range.split(' ');
      const shown = unit.length ? ` <span id="${p}-${name}-v">${value}</span> ${unit.join(' ')}` : '';
      html.push(`<label>${name} <input type="range" id="${p}-${name}" min="${min}" max="${max}" step="${step}" value="${value}">${shown}</label>`);
    }
    el.insertAdjacentHTML('afterbegin', html.join('\n'));
  }
}
expandControls();

// Play/pause, reset and other buttons of a panel, by their data-act names.
function buttons(panelId, handlers) {
  for (const b of document.querySelectorAll(`#${panelId} button[data-act]`)) {
    const h = handlers[b.dataset.act];
    if (h) b.addEventListener('click', () => h(b));
  }
}
function radio(name) { return document.querySelector(`input[name="${name}"]:checked`).value; }
function slider(id, onChange) {
  const el = $(id), v = $(id + '-v');
  const f = () => { if (v) v.textContent = el.value; onChange && onChange(+el.value); };
  el.addEventListener('input', f); f();
  return el;
}
// Pointer position in cells of a canvas showing a `w × h` grid.
function cellAt(canvas, e, w, h) {
  const r = canvas.getBoundingClientRect();
  return [(e.clientX - r.left) / r.width * w, (e.clientY - r.top) / r.height * h];
}
function onDrag(canvas, f) {
  let down = false;
  canvas.addEventListener('pointerdown', (e) => { down = true; canvas.setPointerCapture(e.pointerId); f(e, 'down'); });
  canvas.addEventListener('pointermove', (e) => { if (down) f(e, 'move'); });
  const up = (e) => { if (down) { down = false; f(e, 'up'); } };
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', up);
}
function playButton(panel) {
  return (b) => { panel.playing = !panel.playing; b.textContent = panel.playing ? 'pause' : 'play'; };
}
// One animation frame of a ticking panel: `speed` ticks of `tick` while playing (counted by
// `rate`), a redraw, and the readout line `readout()`.
function tickFrame(panel, tick, rate, readout) {
  if (!panel.ready) return;
  if (panel.playing) { engine.call(tick, panel.speed); rate.add(panel.speed); }
  panel.render();
  $(`${panel.id}-readout`).textContent = readout();
}
function syncPlay(panelId, playing) {
  const b = document.querySelector(`#${panelId} button[data-act="play"]`);
  if (b) b.textContent = playing ? 'pause' : 'play';
}

// ---------------------------------------------------------------- self-classifying digits
const classify = {
  id: 'classify', side: 28, playing: true, speed: 1, ready: false,
  pixels: new Float32Array(784), frames: new Rate(), ticks: new Rate(), seed: 0,
  init() {
    const m = site.models.find((m) => m.family === 'classify');
    if (!m) throw new Error('no classify model in this build');
    return fetchBytes(m.file).then((bytes) => {
      engine.load('classify_load', bytes);
      this.canvas = $('classify-canvas');
      this.ctx = this.canvas.getContext('2d');
      this.resetWith(new Float32Array(784));
      buttons('panel-classify', {
        play: playButton(this),
        reset: () => this.resetWith(new Float32Array(784)),
        digit: () => this.loadDigit(),
      });
      if (!site.digits.length) document.querySelector('#panel-classify button[data-act="digit"]').disabled = true;
      slider('classify-speed', (v) => { this.speed = v; });
      const votes = $('classify-votes');
      votes.innerHTML = TAB10.map((c, k) => `<span>${k}</span><div class="bar" id="cv-${k}" style="background:${c};width:0"></div><span id="cvn-${k}"></span>`).join('');
      onDrag(this.canvas, (e, phase) => { if (phase !== 'up') this.paint(e); });
      this.ready = true;
      this.render();
    });
  },
  resetWith(px) {
    this.pixels = Float32Array.from(px);
    this.seed += 1;
    engine.call('classify_reset', engine.floatsIn('classify-px', this.pixels), this.seed);
  },
  loadDigit() {
    const d = site.digits[Math.floor(Math.random() * site.digits.length)];
    this.resetWith(d.pixels);
    this.render();
  },
  paint(e) {
    const [cx, cy] = cellAt(this.canvas, e, 28, 28);
    const r = +$('classify-brush').value, erase = radio('classify-tool') === 'eraser';
    for (let y = Math.max(0, Math.floor(cy - r - 1)); y < Math.min(28, cy + r + 1); y++) {
      for (let x = Math.max(0, Math.floor(cx - r - 1)); x < Math.min(28, cx + r + 1); x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const v = Math.min(1, Math.max(0, r + 0.5 - d));
        const i = y * 28 + x;
        this.pixels[i] = erase ? Math.min(this.pixels[i], 1 - v) : Math.max(this.pixels[i], v);
      }
    }
    engine.call('classify_set_pixels', engine.floatsIn('classify-px', this.pixels));
    this.render();
  },
  counts() {
    engine.x.classify_render();
    return Array.from(engine.u32(engine.x.classify_counts_ptr(), 11));
  },
  render() {
    blit(this.ctx, engine.u8(engine.x.classify_render(), 784 * 4), 28, 28);
    const c = Array.from(engine.u32(engine.x.classify_counts_ptr(), 11));
    const alive = c[10];
    let best = -1;
    for (let k = 0; k < 10; k++) {
      $(`cv-${k}`).style.width = `${alive ? c[k] / alive * 100 : 0}%`;
      $(`cvn-${k}`).textContent = alive ? `${Math.round(c[k] / alive * 100)}%` : '';
      if (alive && (best < 0 || c[k] > c[best])) best = k;
    }
    this.majority = best;
    this.frames.add();
    this.frameCount = (this.frameCount || 0) + 1;
    if (metrics.first_frame_ms === null) metrics.first_frame_ms = performance.now();
  },
  frame() {
    tickFrame(this, 'classify_tick', this.ticks, () =>
      `tick ${engine.x.classify_ticks()} · ${this.ticks.value.toFixed(0)} ticks/s · ${this.frames.value.toFixed(0)} frames/s` +
      (this.majority >= 0 ? ` · majority vote: ${this.majority}` : ' · draw a digit'));
  },
  debug: {
    // Milliseconds per tick of the engine alone (no drawing), over `n` ticks.
    bench(n) { const t0 = performance.now(); engine.call('classify_tick', n); return (performance.now() - t0) / n; },
    // The state after `n` ticks from `pixels` with fire masks from seed `seed` (the CLI's masks).
    run(pixels, seed, n) {
      engine.call('classify_reset', engine.floatsIn('classify-dbg', pixels), seed);
      engine.call('classify_tick', n);
      return Array.from(engine.f32(engine.x.classify_state_ptr(), engine.x.classify_state_len()));
    },
    // Ticks `n` times from the panel's current state; per tick the vote counts (10 + alive).
    advance(n) {
      const out = [];
      for (let i = 0; i < n; i++) { engine.call('classify_tick', 1); out.push(classify.counts()); }
      classify.render();
      return out;
    },
  },
};

// ---------------------------------------------------------------- growing NCA
const grow = {
  id: 'grow', playing: true, speed: 1, ready: false, frames: new Rate(), ticks: new Rate(), seed: 0,
  init() {
    const models = site.models.filter((m) => m.family === 'grow');
    if (!models.length) throw new Error('no grow model in this build');
    const sel = $('grow-model');
    sel.innerHTML = models.map((m, i) => `<option value="${i}">${m.name}</option>`).join('');
    sel.addEventListener('change', () => this.loadModel(models[+sel.value]));
    this.canvas = $('grow-canvas');
    this.ctx = this.canvas.getContext('2d');
    buttons('panel-grow', { play: playButton(this), reset: () => this.reset(false) });
    slider('grow-speed', (v) => { this.speed = v; });
    onDrag(this.canvas, (e, phase) => {
      const [x, y] = cellAt(this.canvas, e, this.side, this.side);
      if (radio('grow-tool') === 'seed') {
        if (phase === 'down') {
          engine.call('grow_plant', Math.floor(x), Math.floor(y));
          document.querySelector('input[name="grow-tool"][value="cut"]').checked = true;
        }
      } else if (phase !== 'up') {
        engine.call('grow_cut', x, y, +$('grow-radius').value);
      }
      this.render();
    });
    return this.loadModel(models[0]);
  },
  loadModel(m) {
    return fetchBytes(m.file).then((bytes) => {
      engine.load('grow_load', bytes);
      this.side = engine.x.grow_side();
      blit($('grow-target').getContext('2d'), engine.u8(engine.x.grow_target_render(), this.side * this.side * 4), this.side, this.side);
      this.reset(false);
      this.ready = true;
    });
  },
  reset(seeded) {
    this.seed += 1;
    engine.call('grow_reset', this.seed, seeded ? 1 : 0);
    document.querySelector('input[name="grow-tool"][value="seed"]').checked = true;
    if (this.ready) this.render();
  },
  rgba() { return Array.from(engine.u8(engine.x.grow_render(), this.side * this.side * 4)); },
  render() {
    blit(this.ctx, engine.u8(engine.x.grow_render(), this.side * this.side * 4), this.side, this.side);
    this.frames.add();
    this.frameCount = (this.frameCount || 0) + 1;
  },
  frame() {
    tickFrame(this, 'grow_tick', this.ticks, () =>
      `tick ${engine.x.grow_ticks()} · ${this.ticks.value.toFixed(0)} ticks/s · ${this.frames.value.toFixed(0)} frames/s · ${this.side}x${this.side} cells`);
  },
  debug: {
    // Milliseconds per tick of the engine alone (no drawing), over `n` ticks.
    bench(n) { const t0 = performance.now(); engine.call('grow_tick', n); return (performance.now() - t0) / n; },
    // The state after `n` ticks from the centre seed with fire masks from seed `seed`.
    run(seed, n) {
      engine.call('grow_reset', seed, 1);
      engine.call('grow_tick', n);
      return Array.from(engine.f32(engine.x.grow_state_ptr(), engine.x.grow_state_len()));
    },
    advance(n) { engine.call('grow_tick', n); grow.render(); return grow.rgba(); },
    rgba() { return grow.rgba(); },
    side() { return grow.side; },
    seedCentre(seed) { engine.call('grow_reset', seed, 1); grow.render(); },
  },
};

// ---------------------------------------------------------------- digit refiner
const refine = {
  id: 'refine', playing: false, speed: 10, ready: false, step: 0, steps: 0, rate: new Rate(), acc: 0, last: 0,
  init() {
    const m = site.models.find((m) => m.family === 'refine');
    if (!m) throw new Error('no refine model in this build');
    this.draw = $('refine-draw');
    this.dctx = this.draw.getContext('2d', { willReadFrequently: true });
    this.clear();
    this.view = $('refine-view').getContext('2d');
    this.strip = $('refine-strip').getContext('2d');
    buttons('panel-refine', {
      play: playButton(this),
      reset: () => { this.step = 0; this.show(); },
      clear: () => { this.clear(); this.images = 0; this.showEmpty(); },
      digit: () => this.loadDigit(),
    });
    if (!site.digits.length) document.querySelector('#panel-refine button[data-act="digit"]').disabled = true;
    slider('refine-speed', (v) => { this.speed = v; });
    let prev = null;
    onDrag(this.draw, (e, phase) => {
      const r = this.draw.getBoundingClientRect();
      const p = [(e.clientX - r.left) * this.draw.width / r.width, (e.clientY - r.top) * this.draw.height / r.height];
      const c = this.dctx;
      c.strokeStyle = radio('refine-tool') === 'eraser' ? '#000' : '#fff';
      c.lineWidth = +$('refine-brush').value;
      c.lineCap = c.lineJoin = 'round';
      c.beginPath();
      c.moveTo(...(prev || p));
      c.lineTo(...p);
      c.stroke();
      prev = phase === 'up' ? null : p;
      if (phase === 'up') this.runDrawing();
    });
    return fetchBytes(m.file).then((bytes) => {
      engine.load('refine_load', bytes);
      this.steps = engine.x.refine_steps();
      this.ready = true;
      this.showEmpty();
    });
  },
  clear() { this.dctx.fillStyle = '#000'; this.dctx.fillRect(0, 0, this.draw.width, this.draw.height); },
  showEmpty() {
    this.view.fillStyle = '#000';
    this.view.fillRect(0, 0, 224, 224);
    this.strip.clearRect(0, 0, 1020, 20);
    $('refine-verdict').textContent = 'draw a digit';
  },
  runDrawing() {
    const img = this.dctx.getImageData(0, 0, this.draw.width, this.draw.height);
    const t0 = performance.now();
    const r = engine.x.refine_run_drawing(engine.bytesIn('refine-rgba', img.data), img.width, img.height);
    if (r !== 0) { $('refine-verdict').textContent = engine.error(); return null; }
    return this.ran(performance.now() - t0);
  },
  loadDigit() {
    const d = site.digits[Math.floor(Math.random() * site.digits.length)];
    // Show the digit on the drawing canvas too (grey levels, scaled up).
    const t = new OffscreenCanvas(28, 28);
    const rgba = new Uint8ClampedArray(784 * 4);
    d.pixels.forEach((v, i) => { const g = Math.round(v * 255); rgba.set([g, g, g, 255], 4 * i); });
    t.getContext('2d').putImageData(new ImageData(rgba, 28, 28), 0, 0);
    this.dctx.imageSmoothingEnabled = true;
    this.dctx.drawImage(t, 0, 0, this.draw.width, this.draw.height);
    const t0 = performance.now();
    engine.call('refine_run_pixels', engine.floatsIn('refine-px', d.pixels));
    this.ran(performance.now() - t0);
  },
  ran(ms) {
    this.passMs = ms;
    this.images = this.steps + 1;
    this.step = 0;
    this.playing = true;
    syncPlay('panel-refine', true);
    this.drawStrip();
    this.show();
    return this.verdict(this.steps);
  },
  verdict(t) {
    const v = engine.f32(engine.x.refine_verdict(t), 12);
    return { digit: v[0], confidence: v[1], cosines: Array.from(v.slice(2)) };
  },
  drawStrip() {
    const n = this.images, w = 1020 / n;
    for (let t = 0; t < n; t++) {
      const tmp = this.strip;
      const rgba = engine.u8(engine.x.refine_render(t), 784 * 4);
      const c = new OffscreenCanvas(28, 28);
      c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba), 28, 28), 0, 0);
      tmp.imageSmoothingEnabled = false;
      tmp.drawImage(c, t * w, 0, w - 1, w - 1);
    }
  },
  show() {
    if (!this.images) return;
    blit(this.view, engine.u8(engine.x.refine_render(this.step), 784 * 4), 28, 28);
    const v = this.verdict(this.step), fin = this.verdict(this.steps);
    $('refine-verdict').textContent = `step ${this.step}: looks like ${v.digit} (${v.confidence.toFixed(3)}) · verdict: ${fin.digit}, confidence ${fin.confidence.toFixed(3)}`;
    this.rate.add();
  },
  frame(now) {
    if (!this.ready || !this.images) return;
    if (this.playing && this.step < this.steps) {
      this.acc += (now - (this.last || now)) / 1000 * this.speed;
      const k = Math.floor(this.acc);
      if (k > 0) { this.acc -= k; this.step = Math.min(this.steps, this.step + k); this.show(); }
    } else if (this.playing) {
      this.playing = false; syncPlay('panel-refine', false);
    }
    this.last = now;
    $('refine-readout').textContent =
      `step ${this.step}/${this.steps} · ${this.rate.value.toFixed(0)} steps/s shown · all ${this.steps} steps computed in ${this.passMs.toFixed(0)} ms`;
  },
  debug: {
    verdict(t) { return refine.verdict(t ?? refine.steps); },
    drawingPng() { return refine.draw.toDataURL('image/png'); },
    passMs() { return refine.passMs; },
    step() { return refine.step; },
    run() { return refine.runDrawing(); },
  },
};

// ---------------------------------------------------------------- Game of Life
const life = {
  id: 'life', playing: true, speed: 1, ready: false, w: 96, h: 64, rate: new Rate(),
  init() {
    this.canvas = $('life-canvas');
    this.ctx = this.canvas.getContext('2d');
    this.rgba = new Uint8Array(this.w * this.h * 4);
    engine.call('life_new', this.w, this.h, 1);
    engine.call('life_pattern_names');
    const names = engine.text().split(',');
    const sel = $('life-pattern');
    sel.innerHTML = names.map((n) => `<option>${n}</option>`).join('');
    sel.value = names.includes('gosper-glider-gun') ? 'gosper-glider-gun' : names[0];
    sel.addEventListener('change', () => this.place());
    const rule = $('life-rule');
    $('life-rule-pick').addEventListener('change', (e) => { rule.value = e.target.value; this.setRule(); });
    rule.addEventListener('change', () => this.setRule());
    $('life-torus').addEventListener('change', (e) => { engine.call('life_new', this.w, this.h, e.target.checked ? 1 : 0); this.setRule(); this.place(); });
    buttons('panel-life', {
      play: playButton(this),
      reset: () => this.place(),
      clear: () => { engine.call('life_new', this.w, this.h, $('life-torus').checked ? 1 : 0); this.render(); },
      soup: () => { engine.call('life_soup', 0.3, Math.floor(Math.random() * 1e9)); this.render(); },
    });
    slider('life-speed', (v) => { this.speed = v; });
    let last = null;
    onDrag(this.canvas, (e, phase) => {
      if (phase === 'up') { last = null; return; }
      const [x, y] = cellAt(this.canvas, e, this.w, this.h).map(Math.floor);
      const key = `${x},${y}`;
      if (key !== last && x >= 0 && y >= 0 && x < this.w && y < this.h) { engine.call('life_toggle', x, y); this.render(); }
      last = key;
    });
    this.place();
    this.ready = true;
  },
  setRule() {
    const [p, n] = engine.textIn('life-rule', $('life-rule').value);
    if (engine.x.life_set_rule(p, n) !== 0) { status(engine.error(), true); return; }
    $('life-rule').value = engine.text();
    status('');
  },
  place() {
    const [p, n] = engine.textIn('life-pat', $('life-pattern').value);
    engine.call('life_place', p, n);
    this.render();
  },
  render() {
    const cells = engine.u8(engine.x.life_cells_ptr(), this.w * this.h);
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i] ? 30 : 255;
      this.rgba[4 * i] = v; this.rgba[4 * i + 1] = v; this.rgba[4 * i + 2] = cells[i] ? 60 : 255; this.rgba[4 * i + 3] = 255;
    }
    blit(this.ctx, this.rgba, this.w, this.h);
    this.frameCount = (this.frameCount || 0) + 1;
  },
  frame() {
    tickFrame(this, 'life_step', this.rate, () =>
      `generation ${engine.x.life_generation()} · population ${engine.x.life_population()} · ${this.rate.value.toFixed(0)} generations/s`);
  },
  debug: {
    population() { return engine.x.life_population(); },
    generation() { return engine.x.life_generation(); },
  },
};

const PANELS = [classify, refine, grow, life];
let active = PANELS[0];

function showTab(id) {
  active = PANELS.find((p) => p.id === id) || PANELS[0];
  for (const p of PANELS) {
    $(`panel-${p.id}`).classList.toggle('active', p === active);
    $(`tab-${p.id}`).classList.toggle('active', p === active);
  }
  if (location.hash !== `#${active.id}`) history.replaceState(null, '', `#${active.id}`);
}

async function fetchBytes(file) {
  const r = await fetch(file);
  if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}
async function fetchJson(file, fallback) {
  try { const r = await fetch(file); return r.ok ? await r.json() : fallback; } catch { return fallback; }
}

function loop(now) {
  try { active.frame(now); } catch (e) { status(String(e), true); }
  requestAnimationFrame(loop);
}

async function main() {
  const nav = $('tabs');
  for (const p of PANELS) {
    const b = document.createElement('button');
    b.id = `tab-${p.id}`;
    b.textContent = $(`panel-${p.id}`).dataset.title;
    b.addEventListener('click', () => showTab(p.id));
    nav.appendChild(b);
  }
  showTab(location.hash.slice(1));
  const [eng, models, digits] = await Promise.all([
    loadEngine('nca_web.wasm'), fetchJson('models.json', { models: [] }), fetchJson('digits.json', { digits: [] }),
  ]);
  engine = eng;
  site = { models: models.models, digits: digits.digits };
  metrics.wasm_load_ms = engine.loadMs;
  const loaded = [];
  // The shown panel first, so that its first frame comes as early as possible.
  for (const p of [active, ...PANELS.filter((q) => q !== active)]) {
    loaded.push(Promise.resolve().then(() => p.init()).catch((e) => status(`${p.id}: ${e.message || e}`, true)));
  }
  requestAnimationFrame(loop);
  await Promise.all(loaded);
  metrics.all_loaded_ms = performance.now();
  if (!$('status').classList.contains('error')) status(`ready · engine ${(engine.loadMs).toFixed(0)} ms · everything loaded in ${metrics.all_loaded_ms.toFixed(0)} ms`);
}

// Hooks for tests and the curious: window.ncaDebug.classify.run(pixels, seed, ticks), ...
window.ncaDebug = {
  metrics, showTab, digits: () => site.digits,
  classify: classify.debug, grow: grow.debug, refine: refine.debug, life: life.debug,
  frames(id) { return PANELS.find((q) => q.id === id).frameCount || 0; },
  ticks(id) { return id === 'life' ? engine.x.life_generation() : engine.x[`${id}_ticks`](); },
  setPlaying(id, on) { const p = PANELS.find((q) => q.id === id); p.playing = on; syncPlay(`panel-${id}`, on); },
  ready: null,
};
window.ncaDebug.ready = main().then(() => true, (e) => { status(`error: ${e.message || e}`, true); return false; });
