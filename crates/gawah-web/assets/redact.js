// The redaction page with JavaScript on: draw rectangles on the image with the mouse, a pen
// or a finger; each one fills the next empty row of the form (in pixels of the image), and
// "More rows" is not needed. The form works the same without this script.
(function () {
  'use strict';
  var img = document.getElementById('redact-image');
  var form = document.querySelector('form.redact-form');
  if (!img || !form) return;
  var canvas = img.parentNode;
  var hint = document.querySelector('.redact-js-hint');
  if (hint) hint.hidden = false;
  canvas.classList.add('drawing');

  function rows() {
    return Array.prototype.slice.call(form.querySelectorAll('fieldset.redact-row'));
  }
  function inputs(row) {
    return ['x', 'y', 'w', 'h'].map(function (n) { return row.querySelector('input[name="' + n + '"]'); });
  }
  function emptyRow() {
    var all = rows();
    for (var i = 0; i < all.length; i++) {
      if (inputs(all[i]).every(function (el) { return el.value === ''; })) return all[i];
    }
    // Every row is used: add one like the last.
    var last = all[all.length - 1];
    var copy = last.cloneNode(true);
    inputs(copy).forEach(function (el) { el.value = ''; });
    var legend = copy.querySelector('legend');
    if (legend) legend.textContent = legend.textContent.replace(/[0-9\u06F0-\u06F9]+/, String(all.length + 1));
    last.parentNode.insertBefore(copy, last.nextSibling);
    return copy;
  }
  // Pixels of the image per CSS pixel of the element.
  function scale() {
    var r = img.getBoundingClientRect();
    return { r: r, sx: img.naturalWidth / r.width, sy: img.naturalHeight / r.height };
  }
  function box(x, y, w, h) {
    var s = scale();
    var el = document.createElement('div');
    el.className = 'redact-box';
    el.style.left = (x / s.sx) + 'px';
    el.style.top = (y / s.sy) + 'px';
    el.style.width = (w / s.sx) + 'px';
    el.style.height = (h / s.sy) + 'px';
    canvas.appendChild(el);
    return el;
  }
  function clamp(v, max) { return Math.max(0, Math.min(max, v)); }
  // Boxes for the rows already filled (after "More rows" or an error).
  function redraw() {
    Array.prototype.slice.call(canvas.querySelectorAll('.redact-box')).forEach(function (b) { b.remove(); });
    rows().forEach(function (row) {
      var v = inputs(row).map(function (el) { return parseInt(el.value, 10); });
      if (v.every(function (n) { return n >= 0; }) && v[2] > 0 && v[3] > 0) box(v[0], v[1], v[2], v[3]);
    });
  }
  var start = null;
  var live = null;
  function point(ev) {
    var s = scale();
    return {
      x: Math.round(clamp(ev.clientX - s.r.left, s.r.width) * s.sx),
      y: Math.round(clamp(ev.clientY - s.r.top, s.r.height) * s.sy)
    };
  }
  img.addEventListener('dragstart', function (ev) { ev.preventDefault(); });
  img.addEventListener('pointerdown', function (ev) {
    if (!img.naturalWidth) return;
    ev.preventDefault();
    img.setPointerCapture(ev.pointerId);
    start = point(ev);
    live = box(start.x, start.y, 0, 0);
  });
  img.addEventListener('pointermove', function (ev) {
    if (!start) return;
    var p = point(ev);
    var s = scale();
    live.style.left = (Math.min(start.x, p.x) / s.sx) + 'px';
    live.style.top = (Math.min(start.y, p.y) / s.sy) + 'px';
    live.style.width = (Math.abs(p.x - start.x) / s.sx) + 'px';
    live.style.height = (Math.abs(p.y - start.y) / s.sy) + 'px';
  });
  function finish(ev) {
    if (!start) return;
    var p = point(ev);
    var x = Math.min(start.x, p.x), y = Math.min(start.y, p.y);
    var w = Math.abs(p.x - start.x), h = Math.abs(p.y - start.y);
    start = null;
    live.remove();
    live = null;
    if (w < 1 || h < 1) return;
    var fields = inputs(emptyRow());
    [x, y, w, h].forEach(function (v, i) { fields[i].value = String(v); });
    redraw();
  }
  img.addEventListener('pointerup', finish);
  img.addEventListener('pointercancel', function () {
    start = null;
    if (live) live.remove();
    live = null;
  });
  form.addEventListener('input', redraw);
  window.addEventListener('resize', redraw);
  if (img.complete) redraw(); else img.addEventListener('load', redraw);
}());
