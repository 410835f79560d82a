import { backupComponent } from './backup.ts';
import type { Component } from './component.ts';
import { patroniComponent } from './patroni.ts';
import { monitoringComponent } from './monitoring.ts';
import { prometheusOperatorComponent } from './prometheus-operator.ts';
import { tlsComponent } from './tls.ts';
import { guaranteedComponent } from './guaranteed.ts';
import { pitrComponent } from './pitr.ts';

/** Every optional feature, in the order overlays list them. */
export const components: readonly Component[] = [
  // The sidecars in this order: the exporter (monitoring), pgBackRest's server (pitr), tls-reload (tls);
  // tls last: its overlay patches find the exporter where the others put it.
  patroniComponent,
  backupComponent,
  monitoringComponent,
  prometheusOperatorComponent,
  pitrComponent,
  tlsComponent,
  guaranteedComponent,
];
