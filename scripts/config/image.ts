/**
 * The PostgreSQL major version a tag names: "16" from "16-alpine", "16.4-alpine" or "16"; "9.6"
 * before version 10, when the major version had two numbers. Undefined for "latest" or "alpine".
 */
export function majorVersion(tag: string): string | undefined {
  const match = /^(\d+)(?:\.(\d+))?(?:$|[.\-_])/.exec(tag);
  if (!match) return undefined;
  return Number(match[1]) < 10 && match[2] !== undefined ? `${match[1]}.${match[2]}` : match[1];
}

/** A manifest digest as registries give it. */
export const DIGEST = /^sha256:[a-f0-9]{64}$/;
