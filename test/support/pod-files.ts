/**
 * A container's mounts on the test machine: the pod's file tree mirrored under `<root>/fs`, so the
 * container path /etc/patroni/patroni.yml is <root>/fs/etc/patroni/patroni.yml. ConfigMap and
 * projected ConfigMap volumes hold copies of their keys (with the volume's mode, so a script is
 * executable as in the pod; items and subPath as the kubelet applies them); every other volume
 * (the data PVC, emptyDirs) starts empty. Everything belongs to the owner of `root`.
 */
import { chmodSync, chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { find } from './rendered.ts';

export interface PodFiles {
  /** The container path's place on the test machine, or undefined when no mount holds it. */
  local(containerPath: string): string | undefined;
  /** Every absolute path in `value` (a path or a command line) that lies on a mount, made local. */
  localPaths(value: string): string;
}

interface VolumeFile { readonly content: string; readonly mode: number }

/** The files a volume shows, by path relative to its mount; undefined for a volume that starts empty. */
function volumeFiles(volume: Record<string, any>, objects: Record<string, any>[]): Map<string, VolumeFile> | undefined {
  const sources: { configMap: Record<string, any>; defaultMode: number }[] = [];
  if (volume.configMap) sources.push({ configMap: volume.configMap, defaultMode: volume.configMap.defaultMode ?? 0o644 });
  else if (volume.projected) {
    for (const source of volume.projected.sources ?? []) {
      if (!source.configMap) throw new Error(`volume ${volume.name}: the test harness copies only ConfigMap sources of projected volumes`);
      sources.push({ configMap: source.configMap, defaultMode: volume.projected.defaultMode ?? 0o644 });
    }
  } else return undefined;
  const files = new Map<string, VolumeFile>();
  for (const { configMap, defaultMode } of sources) {
    const data = find(objects, 'ConfigMap', configMap.name).data as Record<string, string>;
    const items: { key: string; path: string; mode?: number }[] = configMap.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const item of items) files.set(item.path, { content: data[item.key], mode: item.mode ?? defaultMode });
  }
  return files;
}

export function podFiles(container: Record<string, any>, volumes: Record<string, any>[], objects: Record<string, any>[], root: string): PodFiles {
  const { uid, gid } = statSync(root);
  const fs = path.join(root, 'fs');
  /** Creates `dir` and its parents below root, each owned like root (the server account must traverse them). */
  const mkdir = (dir: string) => {
    const parts = path.relative(root, dir).split(path.sep);
    for (let i = 1; i <= parts.length; i++) {
      const current = path.join(root, ...parts.slice(0, i));
      mkdirSync(current, { recursive: true, mode: 0o700 });
      chownSync(current, uid, gid);
    }
  };
  const write = (file: string, { content, mode }: VolumeFile) => {
    mkdir(path.dirname(file));
    writeFileSync(file, content);
    chmodSync(file, mode & 0o755);
    chownSync(file, uid, gid);
  };

  const mountPaths: string[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.find((v) => v.name === mount.name);
    if (!volume) throw new Error(`${container.name}: mount ${mount.mountPath} names no volume ${mount.name}`);
    const local = path.join(fs, mount.mountPath);
    const files = volumeFiles(volume, objects);
    if (mount.subPath) {
      const file = files?.get(mount.subPath);
      if (!file) throw new Error(`${container.name}: ${mount.mountPath}: volume ${mount.name} has no ${mount.subPath}`);
      write(local, file);
    } else {
      mkdir(local);
      for (const [relative, file] of files ?? []) write(path.join(local, relative), file);
    }
    mountPaths.push(mount.mountPath);
  }

  const local = (containerPath: string) =>
    mountPaths.some((m) => containerPath === m || containerPath.startsWith(`${m}/`)) ? path.join(fs, containerPath) : undefined;
  return {
    local,
    localPaths: (value) => value.replace(/(^|\s)(\/[^\s'"]*)/g, (match, space, p) => {
      const mapped = local(p);
      return mapped ? `${space}${mapped}` : match;
    }),
  };
}
