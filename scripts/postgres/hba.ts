import { REPLICATION_ROLE } from '../vocabulary/names.ts';

/**
 * pg_hba.conf: every connection authenticates with scram-sha-256, the local socket included
 * (the image's entrypoint exports PGPASSWORD for its own initialisation scripts). Replication
 * connections are admitted for the replication role only, and that role gets nothing else. The
 * lines name the role, so they are harmless where it does not exist (a single replica).
 *
 * With `tls`, every TCP connection must be encrypted: `hostssl` lines only, and a last line that
 * refuses plain TCP with a message naming it ("no encryption") instead of a misleading mismatch.
 */
export function pgHbaConf({ tls = false }: { readonly tls?: boolean } = {}): string {
  const tcp = tls ? 'hostssl' : 'host   ';
  return [
    '# Client authentication, rendered by `npm run build:overlays`. First matching line wins.',
    '# TYPE  DATABASE     USER        ADDRESS      METHOD',
    `${tcp} replication  ${REPLICATION_ROLE}  all          scram-sha-256`,
    `local   all          ${REPLICATION_ROLE}               reject`,
    `host    all          ${REPLICATION_ROLE}  all          reject`,
    'local   all          all                      scram-sha-256',
    `${tcp} all          all         0.0.0.0/0    scram-sha-256`,
    `${tcp} all          all         ::/0         scram-sha-256`,
    ...(tls ? ['hostnossl all        all         all          reject'] : []),
    '',
  ].join('\n');
}
