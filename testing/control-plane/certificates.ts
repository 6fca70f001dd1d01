/**
 * The PKI a control plane needs, generated fresh for each one (as controller-runtime's envtest
 * does): a CA, kube-apiserver's serving certificate, client certificates for each component and
 * the admin (group system:masters), and the key pair that signs and verifies ServiceAccount tokens.
 */
// @peculiar/x509 needs a Reflect metadata polyfill loaded before it (its README says so).
import 'reflect-metadata';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
// @peculiar/x509 signs with Node's global WebCrypto (globalThis.crypto), which it finds by itself.

const ALGORITHM = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
} as const;
const VALID_DAYS = 30;

export interface PemPair {
  cert: string;
  key: string;
}

export interface ClientIdentity {
  /** The user name kube-apiserver sees (the certificate's CN). */
  user: string;
  /** Groups (the certificate's O entries). */
  groups?: string[];
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)
    ?.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function validity() {
  // An hour of slack before now: the components compare against their own clock.
  const notBefore = new Date(Date.now() - 3_600_000);
  return {
    notBefore,
    notAfter: new Date(notBefore.getTime() + VALID_DAYS * 86_400_000),
  };
}

/** RFC 4514 name; values are our own fixed identities, so only commas need escaping. */
function distinguishedName(identity: ClientIdentity): string {
  const escape = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return [`CN=${escape(identity.user)}`, ...(identity.groups ?? []).map((g) => `O=${escape(g)}`)].join(', ');
}

export class CertificateAuthority {
  private constructor(
    readonly certPem: string,
    private readonly certificate: x509.X509Certificate,
    private readonly keys: CryptoKeyPair,
  ) {}

  static async create(name = 'passplatform-test-ca'): Promise<CertificateAuthority> {
    const keys = await newKeys();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      name: `CN=${name}`,
      keys,
      signingAlgorithm: ALGORITHM,
      ...validity(),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new CertificateAuthority(certificate.toString('pem'), certificate, keys);
  }

  /** A serving certificate for the given DNS names and IP addresses. */
  async serving(commonName: string, dnsNames: string[], ips: string[]): Promise<PemPair> {
    return this.issue(`CN=${commonName}`, x509.ExtendedKeyUsage.serverAuth, [
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    ]);
  }

  /** A client certificate kube-apiserver maps to `identity`. */
  async client(identity: ClientIdentity): Promise<PemPair> {
    return this.issue(distinguishedName(identity), x509.ExtendedKeyUsage.clientAuth, []);
  }

  private async issue(subject: string, usage: x509.ExtendedKeyUsage, extra: x509.Extension[]): Promise<PemPair> {
    const keys = await newKeys();
    const certificate = await x509.X509CertificateGenerator.create({
      subject,
      issuer: this.certificate.subject,
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      signingAlgorithm: ALGORITHM,
      ...validity(),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        await x509.AuthorityKeyIdentifierExtension.create(this.keys.publicKey),
        ...extra,
      ],
    });
    return {
      cert: certificate.toString('pem'),
      key: await keyPem(keys.privateKey),
    };
  }
}

/** The key pair ServiceAccount tokens are signed with (controller-manager, apiserver) and verified by. */
export function serviceAccountKeys(): {
  privateKey: string;
  publicKey: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
  });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
