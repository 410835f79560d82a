/**
 * A cert-manager.io/v1 Certificate, checked for what the bundle relies on. The @kubernetes-models
 * family has a cert-manager package (@kubernetes-models/cert-manager) that this project does not
 * install yet; until it does, this checks the fields the bundle renders against the CRD's types and
 * required fields (cert-manager's crd-certificates: spec.secretName and spec.issuerRef.name required).
 */
const STRING_LISTS = ['dnsNames', 'ipAddresses', 'usages'] as const;

export class Certificate {
  constructor(private readonly data: Record<string, any>) {}

  validate(): void {
    const spec = this.data?.spec;
    const problems: string[] = [];
    if (!spec || typeof spec !== 'object') problems.push('spec: required');
    else {
      if (typeof spec.secretName !== 'string' || !spec.secretName) problems.push('spec.secretName: required string');
      if (typeof spec.issuerRef?.name !== 'string' || !spec.issuerRef.name) problems.push('spec.issuerRef.name: required string');
      for (const key of STRING_LISTS) {
        if (spec[key] !== undefined && !(Array.isArray(spec[key]) && spec[key].every((v: unknown) => typeof v === 'string'))) problems.push(`spec.${key}: must be a list of strings`);
      }
      if (spec.privateKey?.algorithm !== undefined && !['RSA', 'ECDSA', 'Ed25519'].includes(spec.privateKey.algorithm)) problems.push('spec.privateKey.algorithm: must be RSA, ECDSA or Ed25519');
      if (spec.privateKey?.rotationPolicy !== undefined && !['Never', 'Always'].includes(spec.privateKey.rotationPolicy)) problems.push('spec.privateKey.rotationPolicy: must be Never or Always');
    }
    if (problems.length) throw new Error(problems.join('; '));
  }
}
