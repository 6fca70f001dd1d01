/** Renders a pass token as a QR code image. */
import QRCode from 'qrcode';

export type QrFormat = 'png' | 'svg';

// Medium error correction survives a scuffed phone screen or a creased print without making the code dense.
const OPTIONS = { errorCorrectionLevel: 'M', margin: 2 } as const;

export async function renderQr(code: string, format: QrFormat): Promise<{ body: Buffer | string; contentType: string }> {
  if (format === 'svg') return { body: await QRCode.toString(code, { ...OPTIONS, type: 'svg' }), contentType: 'image/svg+xml' };
  return { body: await QRCode.toBuffer(code, { ...OPTIONS, type: 'png', width: 360 }), contentType: 'image/png' };
}

/** `?format=` wins; otherwise the Accept header decides, PNG by default. */
export function chooseFormat(explicit: QrFormat | undefined, accepts: (...types: string[]) => string | false): QrFormat {
  if (explicit) return explicit;
  return accepts('image/png', 'image/svg+xml') === 'image/svg+xml' ? 'svg' : 'png';
}
