import { cronProblem } from './cron.ts';
import type { Settings } from './environment.ts';
import { quantityProblem } from './quantity.ts';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Every problem with the `backup` settings, as [field path, message] pairs. */
export function backupProblems(s: Settings): [string, string][] {
  const backup = s.backup;
  if (backup === null || typeof backup !== 'object')
    return [['backup', 'must be an object such as { enabled: true, schedule: "0 2 * * *", retentionDays: 7 }']];
  const storage = backup.storage ?? ({} as Settings['backup']['storage']);
  const found: [string, string | undefined][] = [
    [
      'backup.enabled',
      typeof backup.enabled === 'boolean' ? undefined : `must be true or false, got ${JSON.stringify(backup.enabled)}`,
    ],
    ['backup.schedule', cronProblem(backup.schedule)],
    [
      'backup.retentionDays',
      Number.isInteger(backup.retentionDays) && backup.retentionDays >= 1
        ? undefined
        : `must be a whole number of days, at least 1 (backups older than this are deleted after each successful backup), got ${JSON.stringify(backup.retentionDays)}`,
    ],
    ['backup.storage.size', quantityProblem(storage.size, 'bytes')],
    [
      'backup.storage.storageClassName',
      typeof storage.storageClassName === 'string' && DNS_SUBDOMAIN.test(storage.storageClassName)
        ? undefined
        : `must be a StorageClass name (lowercase DNS subdomain), got ${JSON.stringify(storage.storageClassName)}`,
    ],
  ];
  return found.filter((entry): entry is [string, string] => entry[1] !== undefined);
}
