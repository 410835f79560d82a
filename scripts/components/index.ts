import type { Component } from './component.ts';
import { replication } from './replication.ts';

/** Every optional feature, in the order overlays list them. */
export const components: readonly Component[] = [
  replication,
];
