/**
 * `npm run cluster -- up [--kubeconfig FILE] [--dir DIR]`: a real Kubernetes control plane on
 * loopback (etcd, kube-apiserver, controller-manager, scheduler, kwok with 3 fake Nodes, the
 * CloudNativePG, prometheus-operator and PassPlatform CRDs) that keeps running after this returns.
 * `npm run cluster -- down [--dir DIR]` stops it; `status` tells whether it runs.
 * The binaries come from scripts/tools/build-control-plane.sh (built once per machine).
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ControlPlane, stopControlPlane } from './control-plane.js';
import { binary } from './binaries.js';
import { isRunning } from './processes.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    kubeconfig: { type: 'string' },
    dir: { type: 'string', default: join('.data', 'cluster') },
  },
});
const command = positionals[0];
const dir = resolve(values.dir ?? join('.data', 'cluster'));

function running(): ControlPlane | undefined {
  if (!existsSync(join(dir, 'state.json'))) return undefined;
  const plane = ControlPlane.attach(dir);
  return plane.components().some((c) => isRunning(c.pid)) ? plane : undefined;
}

async function up() {
  const existing = running();
  if (existing) {
    console.log(`already running: ${existing.server} (kubeconfig ${existing.kubeconfigPath})`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  const started = Date.now();
  const plane = await ControlPlane.start({ dir, detached: true });
  let kubeconfig = plane.kubeconfigPath;
  if (values.kubeconfig) {
    copyFileSync(plane.kubeconfigPath, values.kubeconfig);
    kubeconfig = resolve(values.kubeconfig);
  }
  console.log(`control plane up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${plane.server}`);
  for (const c of plane.components()) console.log(`  ${c.name.padEnd(24)} pid ${c.pid}  log ${c.logFile}`);
  console.log(
    `\n  export KUBECONFIG=${kubeconfig}\n  export PATH=${join(binary('kubectl'), '..')}:${join(binary('helm'), '..')}:$PATH\n  kubectl get nodes\n`,
  );
}

async function down() {
  if (!existsSync(join(dir, 'state.json'))) {
    console.log(`no control plane in ${dir}`);
    return;
  }
  await stopControlPlane(dir);
  console.log('control plane stopped');
}

function status() {
  const plane = running();
  console.log(plane ? `running at ${plane.server}; kubeconfig ${plane.kubeconfigPath}` : 'not running');
}

switch (command) {
  case 'up':
    await up();
    break;
  case 'down':
    await down();
    break;
  case 'status':
    status();
    break;
  default:
    console.error('usage: npm run cluster -- up [--kubeconfig FILE] [--dir DIR] | down [--dir DIR] | status');
    process.exit(2);
}
