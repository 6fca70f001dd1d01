/**
 * Renders the annotation templates our rules use the way Prometheus does, so the promtool unit
 * tests can state the exact annotations an alert fires with. Covers only the functions the rules
 * use (`humanize`, `humanizePercentage`, `humanizeDuration`, `printf "%.2f"`, `$labels.x`) and
 * refuses anything else rather than guess.
 */

/** Go's `%.4g` for the magnitudes alerts show (no exponent form). */
function goG4(value: number): string {
  if (value === 0) return '0';
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -4 || exponent >= 4) throw new Error(`value ${value} would print in exponent form; pick a smaller test value`);
  const text = value.toPrecision(4);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** Prometheus' `humanize`: SI prefixes, four significant digits. */
export function humanize(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return goG4(value);
  let v = value;
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return `${goG4(v)}${prefix}`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${goG4(v)}${prefix}`;
}

/** Prometheus' `humanizePercentage`. */
export function humanizePercentage(value: number): string {
  return `${goG4(value * 100)}%`;
}

/** Prometheus' `humanizeDuration`. */
export function humanizeDuration(value: number): string {
  if (value === 0) return '0s';
  if (Math.abs(value) >= 1) {
    const sign = value < 0 ? '-' : '';
    const v = Math.abs(value);
    const whole = Math.trunc(v);
    const [days, hours, minutes, seconds] = [
      Math.trunc(whole / 86_400),
      Math.trunc(whole / 3600) % 24,
      Math.trunc(whole / 60) % 60,
      whole % 60,
    ];
    if (days) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${goG4(v)}s`;
  }
  let v = value;
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${goG4(v)}${prefix}s`;
}

const FUNCTIONS: Record<string, (value: number) => string> = { humanize, humanizePercentage, humanizeDuration };

/** The text Prometheus renders from `template` for an alert with these labels and value. */
export function renderTemplate(template: string, labels: Record<string, string>, value: number): string {
  return template.replace(/\{\{(.*?)\}\}/g, (_, body: string) => {
    const action = body.trim();
    const label = /^\$labels\.(\w+)$/.exec(action);
    if (label?.[1] !== undefined) return labels[label[1]] ?? '';
    const piped = /^\$value \| (\w+)$/.exec(action);
    const fn = piped?.[1] !== undefined ? FUNCTIONS[piped[1]] : undefined;
    if (fn) return fn(value);
    if (action === 'printf "%.2f" $value') return value.toFixed(2);
    throw new Error(`template action not supported by the test renderer: {{${body}}}`);
  });
}
