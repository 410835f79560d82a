import { backupComponent } from './backup.ts';
import type { Component } from './component.ts';
import { monitoringComponent } from './monitoring.ts';
import { serviceMonitorComponent } from './service-monitor.ts';

/** Every optional feature, in the order overlays list them. */
export const components: readonly Component[] = [
  backupComponent, monitoringComponent, serviceMonitorComponent,
];
