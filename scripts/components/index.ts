import { backupComponent } from './backup.ts';
import type { Component } from './component.ts';
import { patroniComponent } from './patroni.ts';
import { monitoringComponent } from './monitoring.ts';
import { prometheusOperatorComponent } from './prometheus-operator.ts';

/** Every optional feature, in the order overlays list them. */
export const components: readonly Component[] = [
  patroniComponent, backupComponent, monitoringComponent, prometheusOperatorComponent,
];
