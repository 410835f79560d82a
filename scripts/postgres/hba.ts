/**
 * pg_hba.conf: every connection authenticates with scram-sha-256, the local socket included
 * (the image's entrypoint exports PGPASSWORD for its own initialisation scripts). Replication
 * connections are not admitted.
 */
export function pgHbaConf(): string {
  return [
    '# Client authentication, rendered by `npm run build:overlays`. First matching line wins.',
    '# TYPE  DATABASE  USER  ADDRESS      METHOD',
    'local   all       all                scram-sha-256',
    'host    all       all   0.0.0.0/0    scram-sha-256',
    'host    all       all   ::/0         scram-sha-256',
    '',
  ].join('\n');
}
