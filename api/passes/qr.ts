/**
 * Renders a pass token as a QR code image, once per process and format. A pass's token never
 * changes, so neither does its image: its PNG is rendered when the pass is issued (`prerenderQr`,
 * after the reply), cached here, and served with a strong ETag (derived from the token and the rendering
 * options, so it is known without rendering) and immutable caching, so a holder re-opening a pass
 * gets a 304 and no image at all. The PNG is also stored with the pass (`passes.qr_png`), so a
 * process that did not issue it serves it from the row it reads anyway; a pass without one (or
 * with one from other rendering options) is rendered on its first request and stored then.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';

export type QrFormat = 'png' | 'svg';

export interface RenderedQr {
  body: Buffer;
  contentType: string;
  etag: string;
}

// Medium error correction survives a scuffed phone screen or a creased print without making the code dense.
const OPTIONS = { errorCorrectionLevel: 'M', margin: 2 } as const;
const PNG_SCALE = 4;
// pngjs' defaults (RGBA, each row's filter chosen by trying all five) cost about twice the CPU for
// an image of two colours; 8-bit grey with the "up" filter (a QR code's rows repeat `PNG_SCALE`
// times) is the same picture in about half the bytes (2.3 KB against 4 KB). pngjs options that
// qrcode passes through (its type declarations name only the deflate ones).
const PNG_ENCODING = { deflateLevel: 9, colorType: 0, filterType: 2 } as const;
/** Changes whenever the images would: a client's cached copy is then no longer "fresh". */
const RENDERING = JSON.stringify({ ...OPTIONS, pngScale: PNG_SCALE, png: PNG_ENCODING, segments: 'byte', renderer: 'qrcode@1 grey rows' });

const CONTENT_TYPES: Record<QrFormat, string> = { png: 'image/png', svg: 'image/svg+xml' };

// A PNG costs about 3.5 ms of CPU to encode (more on a busy machine), an SVG about 1; images are 2-6 KB.
// Bounded by bytes: 32 MiB holds about 5,000 passes in both formats.
const rendered = new LRUCache<string, RenderedQr>({ maxSize: 32 * 1024 * 1024, sizeCalculation: (image) => image.body.length + 256 });
/** Renders under way, so a burst of first requests for one pass encodes it once. */
const rendering = new Map<string, Promise<RenderedQr>>();

/** The image's strong validator: the same token and format always give the same image. */
export function qrEtag(code: string, format: QrFormat): string {
  return `"${createHash('sha256').update(RENDERING).update('\n').update(format).update('\n').update(code).digest('base64url').slice(0, 27)}"`;
}

/**
 * The PNG of a QR code, pixel for pixel what `QRCode.toBuffer` draws with these options (one IDAT
 * chunk where its streaming encoder writes two, so not byte for byte: RENDERING names it), without
 * its drawing: qrcode paints every pixel as RGBA in JavaScript, which pngjs then turns back into
 * grey (1.5 ms a PNG here against 2.4). Each module row is drawn once as grey bytes, repeated
 * `PNG_SCALE` times, and handed to pngjs as grey.
 */
function qrPng(segments: QRCode.QRCodeSegment[]): Buffer {
  const { size, data } = QRCode.create(segments, OPTIONS).modules;
  const side = (size + 2 * OPTIONS.margin) * PNG_SCALE;
  const pixels = Buffer.alloc(side * side, 255);
  const rowBytes = Buffer.alloc(side);
  for (let row = 0; row < size; row++) {
    rowBytes.fill(255);
    for (let column = 0; column < size; column++) {
      if (data[row * size + column]) rowBytes.fill(0, (OPTIONS.margin + column) * PNG_SCALE, (OPTIONS.margin + column + 1) * PNG_SCALE);
    }
    const top = (OPTIONS.margin + row) * PNG_SCALE;
    for (let repeat = 0; repeat < PNG_SCALE; repeat++) rowBytes.copy(pixels, (top + repeat) * side);
  }
  const image = new PNG({ width: side, height: side });
  image.data = pixels;
  return PNG.sync.write(image, { ...PNG_ENCODING, bitDepth: 8, inputColorType: 0, inputHasAlpha: false });
}

async function render(code: string, format: QrFormat): Promise<RenderedQr> {
  // One byte-mode segment: given a bare string, qrcode searches (Dijkstra over every character) for
  // the cheapest mix of modes, half of a render's CPU, and for a base64url code finds byte mode anyway.
  const segments = [{ data: Buffer.from(code), mode: 'byte' as const }];
  const body = format === 'svg' ? Buffer.from(await QRCode.toString(segments, { ...OPTIONS, type: 'svg' })) : qrPng(segments);
  return { body, contentType: CONTENT_TYPES[format], etag: qrEtag(code, format) };
}

export async function renderQr(code: string, format: QrFormat): Promise<RenderedQr> {
  const key = `${format}:${code}`;
  const hit = rendered.get(key);
  if (hit) return hit;
  let pending = rendering.get(key);
  if (!pending) {
    pending = render(code, format).finally(() => rendering.delete(key));
    rendering.set(key, pending);
  }
  const image = await pending;
  rendered.set(key, image);
  return image;
}

/**
 * Renders a newly issued pass's PNG once the current reply has been sent, so the holder's first
 * request for it (the app opens a pass right after it is issued) does not wait for the encoding,
 * and hands it to `keep` (which stores it with the pass, for every process). Only the PNG, the
 * app's format: the render is CPU the issuing path pays for every pass (about twice a `POST
 * /passes` of its own), and an SVG (for printing) costs a first request about 1 ms.
 */
export function prerenderQr(code: string, keep: (image: RenderedQr) => Promise<void>): void {
  setImmediate(() => {
    // A render or store that fails here is done again by the request that needs the image.
    renderQr(code, 'png')
      .then(keep)
      .catch(() => undefined);
  });
}

/** `?format=` wins; otherwise the Accept header decides, PNG by default. */
export function chooseFormat(explicit: QrFormat | undefined, accepts: (...types: string[]) => string | false): QrFormat {
  if (explicit) return explicit;
  return accepts('image/png', 'image/svg+xml') === 'image/svg+xml' ? 'svg' : 'png';
}

/** How long a client may keep an image without asking again: it never changes, so a year. */
export const QR_CACHE_CONTROL = 'private, max-age=31536000, immutable';
