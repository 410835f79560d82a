import type { Component } from './component.ts';

/** Every optional feature, in the order overlays list them. */
export const components: readonly Component[] = [];
