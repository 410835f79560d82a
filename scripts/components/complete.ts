import type { Settings } from '../config/environment.ts';
import { resourceFiles } from '../kustomize/base.ts';
import type { ResourceFiles } from './component.ts';
import { components } from './index.ts';

/** Every object of settings `s`, the enabled optional features applied: what its overlay renders to. */
export function completeResources(s: Settings): ResourceFiles {
  return components
    .filter((component) => component.enabled(s))
    .reduce((resources, component) => component.complete?.(resources, s) ?? resources, resourceFiles(s));
}
