// The view inside the network: every layer of the model in use, lit by the pad's answers
// (digitpad:answer), whose activations come from the very pass that read the digit, one byte
// a unit. A tapped unit's weights and favourite digits come from the app's /api/unit; its
// activation and rank on the drawing are worked out here from the bytes already sent. Its own
// sentences come in every language (data-texts); it says them in the page's (digitpad:lang).
const frame = element.querySelector('.dp-net');
const stack = frame.querySelector('.dp-net-layers');
const aside = frame.querySelector('.dp-net-unit');
const texts = JSON.parse(frame.dataset.texts);
const CELL = 8; // canvas pixels a unit, so highlights can be drawn around one
const PATH = '#f97316'; // the strongest paths into the answer
const CHOSEN = '#22d3ee'; // the unit tapped or moved to
let view = null; // the last answer's network
let values = []; // per layer, its units as bytes 0-255
let shape = ''; // the layers' sizes: the frame is built again only for another network
let chosen = null; // { layer, unit }
let asked = 0; // taps asked for; only the newest is shown
let timer = null;

function bytes(text) {
  const raw = atob(text);
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function model() {
  return document.querySelector('#active [data-model]')?.dataset.model || 'shipped';
}

function lang() {
  return document.documentElement.lang || 'en';
}

function said(key) {
  return (texts[lang()] || texts.en)[key];
}

function sentence(className, key) {
  const p = document.createElement('p');
  p.className = className;
  p.textContent = said(key);
  return p;
}

function showHelp() {
  aside.replaceChildren(sentence('dp-net-help', 'help'));
}

function build(layers) {
  stack.replaceChildren();
  layers.forEach((layer, index) => {
    const figure = document.createElement('figure');
    figure.className = 'dp-net-layer';
    figure.dataset.layer = index;
    const caption = document.createElement('figcaption');
    caption.textContent = layer.name;
    if (index === layers.length - 1) {
      figure.classList.add('dp-net-outputs');
      figure.tabIndex = 0;
      for (let digit = 0; digit < 10; digit++) {
        const out = document.createElement('div');
        out.className = 'dp-net-out';
        out.dataset.unit = digit;
        out.textContent = digit;
        figure.append(out);
      }
    } else {
      const canvas = document.createElement('canvas');
      canvas.width = layer.columns * CELL;
      canvas.height = layer.rows * CELL;
      canvas.setAttribute('aria-label', layer.name);
      if (index > 0) canvas.tabIndex = 0; // the input's pixels are the drawing itself
      figure.append(canvas);
    }
    figure.prepend(caption);
    stack.append(figure);
  });
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.classList.add('dp-net-paths');
  stack.append(svg);
}

function pathUnits() {
  // by layer, the units on the strongest paths
  const marked = {};
  const paths = view.paths;
  if (!paths) return marked;
  marked[paths.layer] = new Set(paths.units);
  if (paths.layer > 0) marked[paths.layer - 1] = new Set(paths.feeders.flat());
  return marked;
}

function paintLayer(index, marked) {
  const layer = view.layers[index];
  const figure = stack.querySelector(`[data-layer="${index}"]`);
  const q = values[index];
  if (index === view.layers.length - 1) {
    figure.querySelectorAll('.dp-net-out').forEach((out, digit) => {
      const light = Math.round(255 * Math.sqrt(q[digit] / 255));
      out.style.background = `rgb(${light}, ${light}, ${light})`;
      out.style.color = light > 140 ? '#000' : '#fff';
      out.dataset.p = view.outputs[digit];
      out.dataset.q = q[digit];
      out.classList.toggle('dp-net-winner', digit === view.winner);
      out.classList.toggle('dp-net-chosen', chosen?.layer === index && chosen.unit === digit);
    });
    return;
  }
  const canvas = figure.querySelector('canvas');
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(layer.columns, layer.rows);
  q.forEach((v, unit) => {
    // square root: most units of a ReLU layer are faint; one scale still serves the layer
    const light = Math.round(255 * Math.sqrt(v / 255));
    image.data.set([light, light, light, 255], 4 * unit);
  });
  const small = new OffscreenCanvas(layer.columns, layer.rows);
  small.getContext('2d').putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  ctx.lineWidth = 2;
  const ring = (unit, colour) => {
    ctx.strokeStyle = colour;
    ctx.strokeRect((unit % layer.columns) * CELL + 1, Math.floor(unit / layer.columns) * CELL + 1,
      CELL - 2, CELL - 2);
  };
  (marked[index] || []).forEach((unit) => ring(unit, PATH));
  if (chosen?.layer === index) ring(chosen.unit, CHOSEN);
}

function centre(index, unit) {
  // where a unit's centre is, in the stack's own pixels
  const figure = stack.querySelector(`[data-layer="${index}"]`);
  const box0 = stack.getBoundingClientRect(); // the stack scrolls inside itself on a phone
  const base = { left: box0.left - stack.scrollLeft, top: box0.top - stack.scrollTop };
  const outputs = index === view.layers.length - 1;
  const box = (outputs ? figure.children[unit + 1] : figure.querySelector('canvas'))
    .getBoundingClientRect();
  if (outputs) return [box.left + box.width / 2 - base.left, box.top + box.height / 2 - base.top];
  const { rows, columns } = view.layers[index];
  return [box.left + ((unit % columns) + 0.5) * (box.width / columns) - base.left,
    box.top + (Math.floor(unit / columns) + 0.5) * (box.height / rows) - base.top];
}

function drawPaths() {
  const svg = stack.querySelector('.dp-net-paths');
  if (!svg) return;
  svg.replaceChildren();
  const paths = view?.paths;
  if (!paths || !stack.offsetWidth) return;
  svg.style.height = `${stack.scrollHeight}px`;
  const line = ([x1, y1], [x2, y2], weight) => {
    const l = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    Object.entries({ x1, y1, x2, y2, stroke: PATH, 'stroke-width': weight })
      .forEach(([k, v]) => l.setAttribute(k, v));
    svg.append(l);
  };
  const winner = centre(view.layers.length - 1, view.winner);
  paths.units.forEach((unit, i) => {
    const at = centre(paths.layer, unit);
    line(at, winner, 2);
    if (paths.layer > 0) paths.feeders[i].forEach((f) => line(centre(paths.layer - 1, f), at, 1));
  });
}

function paint() {
  const marked = pathUnits();
  view.layers.forEach((_, index) => paintLayer(index, marked));
  drawPaths();
}

function showNow() {
  // the chosen unit's activation on the drawing, and its rank in its layer
  const now = aside.querySelector('.dp-unit-now');
  if (!now || !chosen) return;
  const q = values[chosen.layer];
  const layer = view.layers[chosen.layer];
  const value = (q[chosen.unit] / 255) * layer.scale;
  const rank = 1 + q.filter((v) => v > q[chosen.unit]).length;
  const silent = q.filter((v) => v === 0).length;
  const words = value > 0 ? said('now') : said('silent');
  now.textContent = words.replace('{value}', value.toPrecision(3)).replace('{rank}', rank)
    .replace('{silent}', silent).replace('{count}', layer.units);
}

async function tap(layer, unit) {
  chosen = { layer, unit };
  paint();
  const number = ++asked;
  let answer;
  try {
    const response = await fetch(`api/unit?model=${encodeURIComponent(model())}&lang=${lang()}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ layer, unit }),
    });
    answer = await response.json();
  } catch {
    return;
  }
  if (number !== asked || !chosen) return;
  aside.innerHTML = answer.html ?? `<p class="dp-message dp-problem"></p>`;
  if (answer.error) aside.querySelector('p').textContent = answer.error;
  showNow();
}

function show(network) {
  if (!network) {
    view = null;
    values = [];
    shape = '';
    chosen = null;
    stack.replaceChildren(sentence('dp-net-empty', 'empty'));
    showHelp();
    return;
  }
  view = network;
  values = network.layers.map((layer) => bytes(layer.q));
  const sizes = network.layers.map((layer) => layer.units).join('-');
  if (sizes !== shape) {
    shape = sizes;
    chosen = null;
    showHelp();
    build(network.layers);
  }
  paint();
  showNow();
}

function unitAt(figure, event) {
  const index = Number(figure.dataset.layer);
  if (index === view.layers.length - 1) {
    const out = event.target.closest('.dp-net-out');
    return out ? Number(out.dataset.unit) : null;
  }
  const box = event.target.getBoundingClientRect();
  const { rows, columns, units } = view.layers[index];
  const column = Math.min(columns - 1, Math.floor(((event.clientX - box.left) / box.width) * columns));
  const row = Math.min(rows - 1, Math.floor(((event.clientY - box.top) / box.height) * rows));
  const unit = row * columns + column;
  return unit < units ? unit : null;
}

stack.addEventListener('click', (event) => {
  const figure = event.target.closest('.dp-net-layer');
  if (!view || !figure || figure.dataset.layer === '0') return;
  if (event.target.tagName !== 'CANVAS' && !event.target.closest('.dp-net-out')) return;
  const unit = unitAt(figure, event);
  if (unit !== null) tap(Number(figure.dataset.layer), unit);
});

stack.addEventListener('keydown', (event) => {
  const figure = event.target.closest('.dp-net-layer');
  const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (!view || !figure || !(event.key in steps)) return;
  event.preventDefault();
  const index = Number(figure.dataset.layer);
  const { rows, columns, units } = view.layers[index];
  let unit;
  if (chosen?.layer === index) {
    const [dx, dy] = steps[event.key];
    const column = Math.max(0, Math.min(columns - 1, (chosen.unit % columns) + dx));
    const row = Math.max(0, Math.min(rows - 1, Math.floor(chosen.unit / columns) + dy));
    unit = Math.min(units - 1, row * columns + column);
  } else {
    const q = values[index]; // start from the layer's most active unit
    unit = q.indexOf(Math.max(...q));
  }
  chosen = { layer: index, unit };
  paint();
  clearTimeout(timer); // held keys ask once they stop
  timer = setTimeout(() => tap(index, unit), 120);
});

window.addEventListener('digitpad:answer', (event) => show(event.detail.network));
window.addEventListener('digitpad:lang', () => { if (!view) show(null); });
new ResizeObserver(() => view && drawPaths()).observe(stack);
let shownModel = model();
new MutationObserver(() => {
  // another network chosen (Use for drawing, Back): the pad reads its drawing with it
  if (model() === shownModel) return;
  shownModel = model();
  window.dispatchEvent(new CustomEvent('digitpad:resend'));
}).observe(document.body, { subtree: true, childList: true, attributes: true,
  attributeFilter: ['data-model'] });
show(window.digitpadAnswer?.network ?? null);
