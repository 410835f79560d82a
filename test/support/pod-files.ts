/**
 * A container's mounts on the test machine: the pod's file tree mirrored under `<root>/fs`, so the
 * container path /etc/patroni/patroni.yml is <root>/fs/etc/patroni/patroni.yml. ConfigMap and
 * projected ConfigMap volumes hold copies of their keys (with the volume's mode, so a script is
 * executable as in the pod; items and subPath as the kubelet applies them); every other volume
 * (the data PVC, emptyDirs) starts empty. Everything belongs to the owner of `root`.
 */
import { chmodSync, chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { find } from './rendered.ts';

export interface PodFiles {
  /** The container path's place on the test machine, or undefined when no mount holds it. */
  local(containerPath: string): string | undefined;
  /** Every absolute path in `value` (a path or a command line) that lies on a mount, made local. */
  localPaths(value: string): string;
}

export interface VolumeFile {
  readonly content: string;
  readonly mode: number;
}

/** The files of a Secret the bundle does not render (cert-manager's TLS Secret): the test machine makes them. */
export type SecretFiles = (secretName: string) => Map<string, VolumeFile>;

/** The files a volume shows, by path relative to its mount; undefined for a volume that starts empty. */
function volumeFiles(
  volume: Record<string, any>,
  objects: Record<string, any>[],
  secretFiles?: SecretFiles,
): Map<string, VolumeFile> | undefined {
  const sources: { configMap: Record<string, any>; defaultMode: number }[] = [];
  if (volume.secret) {
    const rendered = objects.find((o) => o.kind === 'Secret' && o.metadata.name === volume.secret.secretName);
    if (rendered)
      return new Map(
        Object.entries(rendered.data as Record<string, string>).map(([key, value]) => [
          key,
          { content: Buffer.from(value, 'base64').toString('utf8'), mode: 0o600 },
        ]),
      );
    if (!secretFiles)
      throw new Error(
        `volume ${volume.name}: Secret ${volume.secret.secretName} is not rendered and the test machine makes none`,
      );
    return secretFiles(volume.secret.secretName);
  }
  if (volume.configMap)
    sources.push({ configMap: volume.configMap, defaultMode: volume.configMap.defaultMode ?? 0o644 });
  else if (volume.projected) {
    for (const source of volume.projected.sources ?? []) {
      if (!source.configMap)
        throw new Error(`volume ${volume.name}: the test harness copies only ConfigMap sources of projected volumes`);
      sources.push({ configMap: source.configMap, defaultMode: volume.projected.defaultMode ?? 0o644 });
    }
  } else return undefined;
  const files = new Map<string, VolumeFile>();
  for (const { configMap, defaultMode } of sources) {
    const data = find(objects, 'ConfigMap', configMap.name).data as Record<string, string>;
    const items: { key: string; path: string; mode?: number }[] =
      configMap.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const item of items) files.set(item.path, { content: data[item.key], mode: item.mode ?? defaultMode });
  }
  return files;
}

export function podFiles(
  container: Record<string, any>,
  volumes: Record<string, any>[],
  objects: Record<string, any>[],
  root: string,
  secretFiles?: SecretFiles,
): PodFiles {
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
  const writtenConf: string[] = [];
  const write = (file: string, { content, mode }: VolumeFile) => {
    if (file.endsWith('.conf')) writtenConf.push(file);
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
    const files = volumeFiles(volume, objects, secretFiles);
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
    mountPaths.some((m) => containerPath === m || containerPath.startsWith(`${m}/`))
      ? path.join(fs, containerPath)
      : undefined;
  // PostgreSQL's configuration files name other files on the mounts (ssl_cert_file = '/etc/...'):
  // those quoted paths point into the mirror too; nothing else in the files changes.
  for (const file of writtenConf) {
    const text = readFileSync(file, 'utf8');
    const mapped = text.replace(/'(\/[^']*)'/g, (match, p) => (local(p) ? `'${local(p)}'` : match));
    if (mapped !== text) writeFileSync(file, mapped);
  }
  return {
    local,
    localPaths: (value) =>
      value.replace(/(^|\s)(\/[^\s'"]*)/g, (match, space, p) => {
        const mapped = local(p);
        return mapped ? `${space}${mapped}` : match;
      }),
  };
}
