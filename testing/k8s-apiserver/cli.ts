/**
 * `npm run test-apiserver`: starts the test Kubernetes API server on a free port (or PORT), with
 * the PassPlatform CRD and the third-party CRDs its children use installed, writes a kubeconfig
 * and prints how to use it. Stops on Ctrl-C.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installPlatformCrds } from './crds.js';
import { startTestApiServer } from './server.js';

const server = await startTestApiServer({ port: Number(process.env.PORT ?? 0) });
installPlatformCrds(server.resources);
const path = process.env.KUBECONFIG_OUT ?? join(tmpdir(), `passplatform-test-apiserver-${process.pid}.kubeconfig`);
server.writeKubeconfig(path);
console.log(`test API server listening on ${server.url}`);
console.log(`kubeconfig written to ${path}`);
console.log(`  export KUBECONFIG=${path}`);
console.log('  kubectl apply -f examples/small.yaml && kubectl get passplatforms');
console.log('  npm run operator');

const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
