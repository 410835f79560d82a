import type { Probe } from 'kubernetes-types/core/v1';

/**
 * The database container's probes read the postmaster's own status file instead of connecting.
 *
 * - No connection: with log_connections on, each pg_isready wrote a "connection received" line,
 *   about 26,000 a day per pod, burying the audit trail of real clients.
 * - Alive is not ready: a server in crash recovery or catching up as a standby ("rejecting
 *   connections", pg_isready exit 1) is working and must not be restarted, which would only start
 *   its recovery over. Liveness asks whether the postmaster runs; readiness whether it accepts
 *   connections.
 *
 * postmaster.pid's first line is the postmaster's PID and its eighth its state: "starting",
 * "stopping", "ready", or "standby" once recovery is consistent (what pg_ctl -w waits for): with
 * hot_standby on, as the bundle always renders it, a standby then accepts read-only connections. The exec probes run
 * in the container, with its PGDATA and its user (the
 * postmaster's, so `kill -0` may signal it).
 */
const postmasterRuns = 'pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid"';
const accepting =
  'state=$(sed -n 8p "$PGDATA/postmaster.pid" 2>/dev/null | tr -d " ") && { [ "$state" = ready ] || [ "$state" = standby ]; }';

// The entrypoint's temporary server for initdb and the init scripts listens on the socket only (line 6,
// the listen address, is empty): the startup probe waits for the real one, which listens on TCP.
const listening = '[ -n "$(sed -n 6p "$PGDATA/postmaster.pid" 2>/dev/null | tr -d " ")" ]';

export const STARTUP_COMMAND = ['sh', '-c', `${postmasterRuns} && ${listening}`];
export const LIVENESS_COMMAND = ['sh', '-c', postmasterRuns];
export const READINESS_COMMAND = ['sh', '-c', `${postmasterRuns} && ${accepting}`];

export const startupProbe = (timing: Omit<Probe, 'exec'>): Probe => ({ exec: { command: STARTUP_COMMAND }, ...timing });
export const livenessProbe = (timing: Omit<Probe, 'exec'>): Probe => ({
  exec: { command: LIVENESS_COMMAND },
  ...timing,
});
export const readinessProbe = (timing: Omit<Probe, 'exec'>): Probe => ({
  exec: { command: READINESS_COMMAND },
  ...timing,
});
