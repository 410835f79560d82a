import { REPLICATION_ROLE } from '../k8s/names.ts';

/**
 * pg_hba.conf: every connection authenticates with scram-sha-256, the local socket included
 * (the image's entrypoint exports PGPASSWORD for its own initialisation scripts). Replication
 * connections are admitted for the replication role only, and that role gets nothing else. The
 * lines name the role, so they are harmless where it does not exist (a single replica).
 */
export function pgHbaConf(): string {
  return [
    '# Client authentication, rendered by `npm run build:overlays`. First matching line wins.',
    '# TYPE  DATABASE     USER        ADDRESS      METHOD',
    `host    replication  ${REPLICATION_ROLE}  all          scram-sha-256`,
    `local   all          ${REPLICATION_ROLE}               reject`,
    `host    all          ${REPLICATION_ROLE}  all          reject`,
    'local   all          all                      scram-sha-256',
    'host    all          all         0.0.0.0/0    scram-sha-256',
    'host    all          all         ::/0         scram-sha-256',
    '',
  ].join('\n');
}
