// A signature pad: draw with finger, pen or mouse (pointer events) on a canvas that scales to
// the screen. The drawing goes into the form's hidden "signature" field as a PNG data URL.
// Keyboard users choose "type my name" instead; the pad then hides.

export function setUpSignaturePad(root) {
  const canvas = root.querySelector("canvas");
  const form = root.closest("form");
  const output = form.querySelector("input[name=signature]");
  const typed = form.querySelector("input[name=type_signature]");
  const clear = root.querySelector("[data-signature-clear]");
  const ctx = canvas.getContext("2d");
  let strokes = [];
  let current = null;

  function resize() {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const width = canvas.clientWidth;
    // A third of the width, but never too low for a finger on a narrow phone.
    const height = Math.max(120, Math.round(width / 3));
    canvas.style.height = `${height}px`;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    redraw();
  }

  function redraw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.lineWidth = 2.4;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#14213d";
    for (const stroke of strokes) {
      ctx.beginPath();
      stroke.forEach(([x, y], i) => (i ? ctx.lineTo(x * canvas.clientWidth, y * canvas.clientHeight) : ctx.moveTo(x * canvas.clientWidth, y * canvas.clientHeight)));
      if (stroke.length === 1) ctx.lineTo(stroke[0][0] * canvas.clientWidth + 0.1, stroke[0][1] * canvas.clientHeight);
      ctx.stroke();
    }
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height];
  }

  function save() {
    output.value = strokes.length ? canvas.toDataURL("image/png") : "";
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    current = [point(event)];
    strokes.push(current);
    redraw();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events) current.push(point(e));
    redraw();
  });
  const end = () => {
    if (!current) return;
    current = null;
    save();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("pointerleave", end);
  canvas.style.touchAction = "none";

  clear.addEventListener("click", () => {
    strokes = [];
    redraw();
    save();
  });

  const syncTyped = () => {
    root.hidden = typed.checked;
  };
  typed.addEventListener("change", syncTyped);
  window.addEventListener("resize", resize);
  syncTyped();
  resize();
}
