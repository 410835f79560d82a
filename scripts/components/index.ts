import { backupComponent } from './backup.ts';
import type { Component } from './component.ts';
import { replication } from './replication.ts';
import { monitoringComponent } from './monitoring.ts';
import { prometheusOperatorComponent } from './prometheus-operator.ts';
import { pitrComponent } from './pitr.ts';

/** Every optional feature, in the order overlays list them. */
export const components: readonly Component[] = [
  replication, backupComponent, monitoringComponent, prometheusOperatorComponent, pitrComponent,
];
