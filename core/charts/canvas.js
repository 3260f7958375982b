// FinDL Lab's canvas pictures (core/charts/canvas.py): a boundary with clickable points, a network
// diagram, a loss line. Everything is drawn with canvas calls; text goes through fillText, which
// never parses HTML.

const PAD = { l: 48, r: 12, t: 30, b: 40 };

// Colours: the data's (core/charts/style.py via canvas.py: d.colours, d.positive, d.negative,
// d.colour, d.marks); text takes the page's text colour, so it follows the light or dark theme.
function textColour(parent, d) {
  return getComputedStyle(parent).color || d.marks.neutral;
}

function setup(parent, height) {
  let canvas = parent.querySelector("canvas.findl-canvas");
  if (!canvas) {
    canvas = document.createElement("canvas");
    canvas.className = "findl-canvas";
    canvas.style.display = "block";
    parent.appendChild(canvas);
  }
  const width = Math.max(260, Math.floor(parent.clientWidth || 600));
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = width + "px";
  canvas.style.height = height + "px";
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = "13px sans-serif";
  return { canvas, ctx, width, height };
}

function title(ctx, text, ink) {
  ctx.fillStyle = ink;
  ctx.font = "bold 14px sans-serif";
  ctx.fillText(text, 4, 18);
  ctx.font = "12px sans-serif";
}

function tick(v) {
  return String(Number(v.toPrecision(3)));
}

function axes(ctx, box, xr, yr, xlabel, ylabel, ink, frame) {
  ctx.strokeStyle = frame;
  ctx.lineWidth = 1;
  ctx.strokeRect(box.l, box.t, box.w, box.h);
  ctx.fillStyle = ink;
  ctx.textAlign = "center";
  for (let k = 0; k <= 4; k++) {
    const v = xr[0] + (k / 4) * (xr[1] - xr[0]);
    ctx.fillText(tick(v), box.l + (k / 4) * box.w, box.t + box.h + 14);
  }
  ctx.fillText(xlabel, box.l + box.w / 2, box.t + box.h + 30);
  ctx.textAlign = "right";
  for (let k = 0; k <= 4; k++) {
    const v = yr[0] + (k / 4) * (yr[1] - yr[0]);
    ctx.fillText(tick(v), box.l - 4, box.t + box.h - (k / 4) * box.h + 4);
  }
  ctx.save();
  ctx.translate(12, box.t + box.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.fillText(ylabel, 0, 0);
  ctx.restore();
  ctx.textAlign = "left";
}

function boundary(parent, d, setTriggerValue) {
  const { canvas, ctx, width, height } = setup(parent, d.height);
  const box = { l: PAD.l, t: PAD.t, w: width - PAD.l - PAD.r, h: height - PAD.t - PAD.b };
  const px = (x) => box.l + ((x - d.x[0]) / (d.x[1] - d.x[0])) * box.w;
  const py = (y) => box.t + box.h - ((y - d.y[0]) / (d.y[1] - d.y[0])) * box.h;
  // the grid's first row is the lowest y: draw it upside down into the plot box
  const bytes = Uint8ClampedArray.from(atob(d.grid), (c) => c.charCodeAt(0));
  const cells = document.createElement("canvas");
  cells.width = d.n;
  cells.height = d.n;
  cells.getContext("2d").putImageData(new ImageData(bytes, d.n, d.n), 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.translate(0, box.t * 2 + box.h);
  ctx.scale(1, -1);
  ctx.drawImage(cells, box.l, box.t, box.w, box.h);
  ctx.restore();
  const ink = textColour(parent, d);
  title(ctx, d.title, ink);
  axes(ctx, box, d.x, d.y, d.xlabel, d.ylabel, ink, d.marks.neutral);
  const where = [];
  for (let i = 0; i < d.px.length; i++) {
    const x = px(d.px[i]), y = py(d.py[i]);
    where.push([i, x, y]);
    ctx.beginPath();
    ctx.arc(x, y, 4, 0, 2 * Math.PI);
    ctx.fillStyle = d.colours[d.pc[i]];
    ctx.fill();
    ctx.strokeStyle = d.marks.outline;
    ctx.lineWidth = 1;
    ctx.stroke();
  }
  if (d.chosen !== null && d.chosen < d.px.length) {
    // a dark ring in a light rim: it shows on the orange, the blue and the pale parts alike
    for (const [colour, lineWidth] of [[d.marks.outline, 5], [d.marks.ink, 3]]) {
      ctx.beginPath();
      ctx.arc(px(d.px[d.chosen]), py(d.py[d.chosen]), 9, 0, 2 * Math.PI);
      ctx.strokeStyle = colour;
      ctx.lineWidth = lineWidth;
      ctx.stroke();
    }
  }
  canvas.dataset.points = JSON.stringify(where.map(([i, x, y]) => [i, Math.round(x), Math.round(y)]));
  canvas.style.cursor = "pointer";
  canvas.onclick = (event) => {
    const r = canvas.getBoundingClientRect();
    const cx = event.clientX - r.left, cy = event.clientY - r.top;
    let best = null, bestDist = 14 * 14;
    for (const [i, x, y] of where) {
      const dist = (x - cx) ** 2 + (y - cy) ** 2;
      if (dist < bestDist) { best = i; bestDist = dist; }
    }
    if (best !== null) setTriggerValue("picked", best);
  };
}

function network(parent, d) {
  const { ctx, width, height } = setup(parent, d.height);
  const ink = textColour(parent, d);
  title(ctx, d.title, ink);
  const layers = d.sizes.length;
  const left = 110, right = 40, top = 44, bottom = 20;
  const xs = d.sizes.map((_, l) => left + (l / Math.max(1, layers - 1)) * (width - left - right));
  const ys = d.sizes.map((n) => Array.from({ length: n }, (_, k) =>
    n > 1 ? top + (k / (n - 1)) * (height - top - bottom) : top + (height - top - bottom) / 2));
  for (const [l, i, j, v] of d.edges) {
    ctx.beginPath();
    ctx.moveTo(xs[l], ys[l][i]);
    ctx.lineTo(xs[l + 1], ys[l + 1][j]);
    ctx.strokeStyle = v > 0 ? d.positive : d.negative;
    ctx.lineWidth = 0.5 + (6 * Math.abs(v)) / d.top;
    ctx.stroke();
  }
  d.sizes.forEach((n, l) => ys[l].forEach((y, k) => {
    ctx.beginPath();
    ctx.arc(xs[l], y, 8, 0, 2 * Math.PI);
    ctx.fillStyle = d.marks.neutral;
    ctx.fill();
    if (l === 0 && d.inputs[k]) {
      ctx.fillStyle = ink;
      ctx.textAlign = "right";
      ctx.fillText(d.inputs[k], xs[l] - 12, y + 4);
      ctx.textAlign = "left";
    }
  }));
  if (d.note) {
    ctx.fillStyle = ink;
    ctx.globalAlpha = 0.7;
    ctx.fillText(d.note, 4, height - 4);
    ctx.globalAlpha = 1;
  }
}

function line(parent, d) {
  const { ctx, width, height } = setup(parent, d.height);
  const ink = textColour(parent, d);
  title(ctx, d.title, ink);
  const box = { l: PAD.l, t: PAD.t, w: width - PAD.l - PAD.r, h: height - PAD.t - PAD.b };
  const xr = [Math.min(...d.x), Math.max(...d.x, Math.min(...d.x) + 1)];
  let yr = [Math.min(...d.y), Math.max(...d.y)];
  if (!(yr[1] > yr[0])) yr = [yr[0] - 0.5, yr[0] + 0.5];
  axes(ctx, box, xr, yr, d.xlabel, d.ylabel, ink, d.marks.neutral);
  ctx.beginPath();
  d.x.forEach((x, k) => {
    const cx = box.l + ((x - xr[0]) / (xr[1] - xr[0])) * box.w;
    const cy = box.t + box.h - ((d.y[k] - yr[0]) / (yr[1] - yr[0])) * box.h;
    if (k === 0) ctx.moveTo(cx, cy); else ctx.lineTo(cx, cy);
  });
  ctx.strokeStyle = d.colour;
  ctx.lineWidth = 2;
  ctx.stroke();
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  if (!data) return;
  if (data.kind === "boundary") boundary(parentElement, data, setTriggerValue);
  else if (data.kind === "network") network(parentElement, data);
  else line(parentElement, data);
}
