// The drawing pad: a plain 2D canvas that records each stroke as points in canvas pixels and,
// when a stroke ends, sends the strokes (a few hundred numbers, not an image) to the app's
// /api/pad, which draws them exactly as the offline evaluator does and answers the answer
// panels' HTML; the panels show it (digitpad:answer). Mouse, touch and pen are all pointer
// events. The strokes are also this component's value, which Look inside, Use for drawing and
// the correction buttons send with their own events. Its words come in every language
// (data-texts); it says them, and asks for its answers, in the page's (digitpad:lang).
const canvas = element.querySelector('canvas');
const size = Number(canvas.dataset.size);
const brush = Number(canvas.dataset.brush);
const ctx = canvas.getContext('2d');
let strokes = [];
let stroke = null;
let pointer = null;
let asked = 0; // answers asked for; only the newest is shown

function fit() {
  // a backing store at the screen's pixel density keeps the ink sharp on phones and projectors
  const density = window.devicePixelRatio || 1;
  canvas.width = canvas.height = Math.round(size * density);
  ctx.setTransform(canvas.width / size, 0, 0, canvas.height / size, 0, 0);
  ctx.lineWidth = brush;
  ctx.lineCap = ctx.lineJoin = 'round';
  ctx.strokeStyle = ctx.fillStyle = '#000';
  redraw();
}

function dot([x, y]) {
  ctx.beginPath();
  ctx.arc(x, y, brush / 2, 0, 2 * Math.PI);
  ctx.fill();
}

function line(points) {
  ctx.beginPath();
  ctx.moveTo(...points[0]);
  points.slice(1).forEach((p) => ctx.lineTo(...p));
  ctx.stroke();
}

function paint(points) {
  if (points.length === 1) dot(points[0]);
  else line(points);
}

function redraw() {
  ctx.clearRect(0, 0, size, size);
  strokes.forEach(paint);
  element.classList.toggle('dp-drawn', strokes.length > 0);
}

function at(event) {
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) * size) / box.width;
  const y = ((event.clientY - box.top) * size) / box.height;
  return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
}

function model() {
  // the session's model, as the Draw tab names it ("shipped" or a trained run's id)
  return document.querySelector('#active [data-model]')?.dataset.model || 'shipped';
}

function lang() {
  return document.documentElement.lang || 'en';
}

function speak() {
  const texts = JSON.parse(element.querySelector('.dp-pad').dataset.texts);
  const said = texts[lang()] || texts.en;
  canvas.setAttribute('aria-label', said.name);
  element.querySelector('.dp-hint').textContent = said.hint;
  element.querySelector('#dp-pad-how').textContent = said.how;
  element.querySelector('.dp-undo').textContent = said.undo;
  element.querySelector('.dp-clear').textContent = said.clear;
}

async function send() {
  props.value = strokes.map((s) => s.map((p) => [...p]));
  const number = ++asked;
  let panels;
  try {
    const response = await fetch(`api/pad?model=${encodeURIComponent(model())}&lang=${lang()}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ strokes: props.value }),
    });
    panels = await response.json(); // refusals too come as panels, with a plain sentence
  } catch {
    return; // the page itself says when the server cannot be reached
  }
  if (number !== asked || panels.result === undefined) return;
  window.digitpadAnswer = panels; // for a view that opens later (network.js)
  window.dispatchEvent(new CustomEvent('digitpad:answer', { detail: panels }));
}

canvas.addEventListener('pointerdown', (event) => {
  if (pointer !== null || (event.pointerType === 'mouse' && event.button !== 0)) return;
  event.preventDefault();
  canvas.focus({ preventScroll: true }); // so Ctrl+Z undoes the stroke just drawn
  pointer = event.pointerId;
  canvas.setPointerCapture(pointer);
  stroke = [at(event)];
  strokes.push(stroke);
  dot(stroke[0]);
  element.classList.add('dp-drawn');
});

canvas.addEventListener('pointermove', (event) => {
  if (event.pointerId !== pointer) return;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const e of events.length ? events : [event]) {
    const point = at(e);
    const last = stroke[stroke.length - 1];
    if (Math.hypot(point[0] - last[0], point[1] - last[1]) < 1) continue;
    line([last, point]);
    stroke.push(point);
  }
});

function end(event) {
  if (event.pointerId !== pointer) return;
  pointer = null;
  stroke = null;
  send();
}
canvas.addEventListener('pointerup', end);
canvas.addEventListener('pointercancel', end);

function undo() {
  if (pointer !== null || !strokes.length) return;
  strokes.pop();
  redraw();
  send();
}

function clear() {
  if (pointer !== null || !strokes.length) return;
  strokes = [];
  redraw();
  send();
}

// another network chosen: its answer for the drawing on the pad, its layers too
window.addEventListener('digitpad:resend', () => { if (strokes.length) send(); });
window.addEventListener('digitpad:lang', speak);
element.querySelector('.dp-undo').addEventListener('click', undo);
element.querySelector('.dp-clear').addEventListener('click', clear);
element.addEventListener('keydown', (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === 'z') {
    event.preventDefault();
    undo();
  }
});
fit();
speak();
