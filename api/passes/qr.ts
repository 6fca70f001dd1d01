/** Renders a pass token as a QR code image. */
import { LRUCache } from 'lru-cache';
import QRCode from 'qrcode';

export type QrFormat = 'png' | 'svg';

// Medium error correction survives a scuffed phone screen or a creased print without making the code dense.
const OPTIONS = { errorCorrectionLevel: 'M', margin: 2 } as const;

// A pass's token never changes, so its image never does: holders re-opening their pass (the common
// case) skip the ~10 ms of PNG encoding. About 6 KB an image.
const rendered = new LRUCache<string, { body: Buffer | string; contentType: string }>({ max: 2_000 });

export async function renderQr(code: string, format: QrFormat): Promise<{ body: Buffer | string; contentType: string }> {
  const key = `${format}:${code}`;
  const hit = rendered.get(key);
  if (hit) return hit;
  const image =
    format === 'svg'
      ? { body: await QRCode.toString(code, { ...OPTIONS, type: 'svg' }), contentType: 'image/svg+xml' }
      : { body: await QRCode.toBuffer(code, { ...OPTIONS, type: 'png', scale: 4 }), contentType: 'image/png' };
  rendered.set(key, image);
  return image;
}

/** `?format=` wins; otherwise the Accept header decides, PNG by default. */
export function chooseFormat(explicit: QrFormat | undefined, accepts: (...types: string[]) => string | false): QrFormat {
  if (explicit) return explicit;
  return accepts('image/png', 'image/svg+xml') === 'image/svg+xml' ? 'svg' : 'png';
}
