// The drawing pad: a plain 2D canvas that records each stroke as points in canvas pixels and,
// when a stroke ends, sends the strokes (a few hundred numbers, not an image) to the app, which
// draws them exactly as the offline evaluator does. Mouse, touch and pen are all pointer events.
const canvas = element.querySelector('canvas');
const size = Number(canvas.dataset.size);
const brush = Number(canvas.dataset.brush);
const ctx = canvas.getContext('2d');
let strokes = [];
let stroke = null;
let pointer = null;

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

function send() {
  // a new value is a change event for the app: the strokes go to the server once per action
  props.value = strokes.map((s) => s.map((p) => [...p]));
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

element.querySelector('.dp-undo').addEventListener('click', undo);
element.querySelector('.dp-clear').addEventListener('click', clear);
element.addEventListener('keydown', (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === 'z') {
    event.preventDefault();
    undo();
  }
});
fit();
