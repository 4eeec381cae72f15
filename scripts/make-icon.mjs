// Draws Custos' app icon (a shield with a "C" monogram) as resources/icon.png, 512x512 RGBA, with no image library.
// Run: node scripts/make-icon.mjs. The PNG is written by hand (IHDR, IDAT through zlib, IEND) so the icon can be
// regenerated anywhere Node runs.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
const SAMPLES = 4; // 4x4 supersampling per pixel for smooth edges
const NAVY = [30, 58, 95];
const GOLD = [201, 162, 39];

/** Inside a shield whose sides are straight to mid-height and then close in a parabola to a point. */
function inShield(x, y, inset) {
  const top = 0.1 + inset;
  const mid = 0.5;
  const bottom = 0.93 - inset * 1.6;
  const half = 0.34 - inset;
  if (y < top || y > bottom) return false;
  const dx = Math.abs(x - 0.5);
  if (y <= mid) {
    // Rounded top corners, radius 0.06.
    const r = 0.06;
    if (y < top + r && dx > half - r) return Math.hypot(dx - (half - r), y - (top + r)) <= r;
    return dx <= half;
  }
  const t = (y - mid) / (bottom - mid);
  return dx <= half * (1 - t * t);
}

/** The "C": a ring open towards the right. */
function inMonogram(x, y) {
  const dx = x - 0.5;
  const dy = y - 0.47;
  const r = Math.hypot(dx, dy);
  if (r < 0.11 || r > 0.18) return false;
  return Math.abs(Math.atan2(dy, dx)) > (40 * Math.PI) / 180;
}

function colourAt(x, y) {
  if (!inShield(x, y, 0)) return null;
  if (!inShield(x, y, 0.03)) return GOLD;
  return inMonogram(x, y) ? GOLD : NAVY;
}

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let py = 0; py < SIZE; py++) {
  const row = py * (SIZE * 4 + 1);
  raw[row] = 0; // filter: none
  for (let px = 0; px < SIZE; px++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const c = colourAt((px + (sx + 0.5) / SAMPLES) / SIZE, (py + (sy + 0.5) / SAMPLES) / SIZE);
        if (!c) continue;
        r += c[0]; g += c[1]; b += c[2]; a += 1;
      }
    }
    const o = row + 1 + px * 4;
    // Colour is averaged over covered samples only (straight alpha), coverage becomes alpha.
    raw[o] = a ? Math.round(r / a) : 0;
    raw[o + 1] = a ? Math.round(g / a) : 0;
    raw[o + 2] = a ? Math.round(b / a) : 0;
    raw[o + 3] = Math.round((255 * a) / (SAMPLES * SAMPLES));
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // colour type: RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const target = new URL('../resources/icon.png', import.meta.url);
writeFileSync(target, png);
console.log(`wrote ${target.pathname} (${png.length} bytes)`);
