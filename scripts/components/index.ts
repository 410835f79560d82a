import { backupComponent } from './backup.ts';
import type { Component } from './component.ts';
import { patroniComponent } from './patroni.ts';
import { monitoringComponent } from './monitoring.ts';
import { prometheusOperatorComponent } from './prometheus-operator.ts';
import { tlsComponent } from './tls.ts';
import { guaranteedComponent } from './guaranteed.ts';

/** Every optional feature, in the order overlays list them. */
export const components: readonly Component[] = [
  // tls last: its overlay patches find the exporter where the others put it.
  patroniComponent, backupComponent, monitoringComponent, prometheusOperatorComponent, tlsComponent, guaranteedComponent,
];
