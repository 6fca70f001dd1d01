/** Kubeconfig files for the control plane's clients: one per identity, certificates inline. */
import { dump } from 'js-yaml';

const b64 = (pem: string) => Buffer.from(pem).toString('base64');

export interface KubeconfigUser {
  name: string;
  cert?: string;
  key?: string;
  token?: string;
}

export function kubeconfigYaml(server: string, caPem: string, user: KubeconfigUser, contextName = 'passplatform-test'): string {
  const credentials = user.token
    ? { token: user.token }
    : {
        'client-certificate-data': b64(user.cert ?? ''),
        'client-key-data': b64(user.key ?? ''),
      };
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: contextName,
        cluster: { server, 'certificate-authority-data': b64(caPem) },
      },
    ],
    users: [{ name: user.name, user: credentials }],
    contexts: [{ name: contextName, context: { cluster: contextName, user: user.name } }],
    'current-context': contextName,
  });
}
