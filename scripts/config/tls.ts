import type { Settings } from './environment.ts';

export const ISSUER_KINDS = ['ClusterIssuer', 'Issuer'] as const;
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

/** The server's certificate: where it comes from, and the oldest protocol the server accepts. */
export interface TlsSettings {
  /** Serve TLS and refuse plain TCP from other hosts (hostssl only). @default true */
  readonly enabled: boolean;
  /** The cert-manager issuer that signs the Certificate. @default { kind: "ClusterIssuer", name: "platform-ca" } */
  readonly issuerRef: { readonly kind: (typeof ISSUER_KINDS)[number]; readonly name: string };
  /**
   * The Secret postgresql-tls (tls.crt, tls.key, ca.crt) is made out of band instead of by
   * cert-manager: no Certificate is rendered. @default false
   */
  readonly existingSecret: boolean;
  /** ssl_min_protocol_version. @default "TLSv1.2" */
  readonly minProtocolVersion: (typeof TLS_VERSIONS)[number];
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Every problem with the `tls` settings, as [field path, message] pairs. */
export function tlsProblems(s: Settings): [string, string][] {
  const t = s.tls;
  if (t === null || typeof t !== 'object')
    return [
      ['tls', 'must be an object such as { enabled: true, issuerRef: { kind: "ClusterIssuer", name: "platform-ca" } }'],
    ];
  const found: [string, string | undefined][] = [
    [
      'tls.enabled',
      typeof t.enabled === 'boolean' ? undefined : `must be true or false, got ${JSON.stringify(t.enabled)}`,
    ],
    [
      'tls.issuerRef.kind',
      ISSUER_KINDS.includes(t.issuerRef?.kind)
        ? undefined
        : `must be one of ${ISSUER_KINDS.join(', ')}, got ${JSON.stringify(t.issuerRef?.kind)}`,
    ],
    [
      'tls.issuerRef.name',
      typeof t.issuerRef?.name === 'string' && DNS_SUBDOMAIN.test(t.issuerRef.name)
        ? undefined
        : `must name a cert-manager ${t.issuerRef?.kind ?? 'issuer'} (lowercase DNS subdomain), got ${JSON.stringify(t.issuerRef?.name)}`,
    ],
    [
      'tls.existingSecret',
      typeof t.existingSecret === 'boolean'
        ? undefined
        : `must be true (the Secret postgresql-tls is made out of band) or false (cert-manager makes it), got ${JSON.stringify(t.existingSecret)}`,
    ],
    [
      'tls.minProtocolVersion',
      TLS_VERSIONS.includes(t.minProtocolVersion)
        ? undefined
        : `must be one of ${TLS_VERSIONS.join(', ')} (older protocols are broken), got ${JSON.stringify(t.minProtocolVersion)}`,
    ],
  ];
  // tls.conf is included before environment.conf: an environment's own ssl line would win, and
  // with pg_hba.conf admitting other hosts over TLS only, ssl = off would lock every client out.
  if (t.enabled === true && s.postgresql && typeof s.postgresql === 'object') {
    for (const name of ['ssl', 'ssl_cert_file', 'ssl_key_file', 'ssl_ca_file']) {
      if (Object.hasOwn(s.postgresql, name)) {
        found.push([
          `postgresql.${name}`,
          `belongs to the tls component while tls.enabled is true (pg_hba.conf admits other hosts over TLS only); remove it, or set tls: { enabled: false }`,
        ]);
      }
    }
  }
  return found.filter((entry): entry is [string, string] => entry[1] !== undefined);
}
