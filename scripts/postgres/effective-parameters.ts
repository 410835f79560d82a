/**
 * Reads the parameters a rendered ConfigMap gives PostgreSQL: postgresql.conf, then the files it
 * includes, later lines winning, as the server does. Enough of the grammar for the bundle's files.
 * Names are as written; values without their quotes.
 */
export function effectiveParameters(
  files: Readonly<Record<string, string>>,
  entry = 'postgresql.conf',
): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const raw of (files[entry] ?? '').split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const include = /^include(?:_if_exists)?\s*=?\s*'([^']+)'$/.exec(line);
    if (include) {
      if (files[include[1]] !== undefined) Object.assign(parameters, effectiveParameters(files, include[1]));
      continue;
    }
    const match = /^(\w+)\s*=?\s*(.*)$/.exec(line);
    if (!match) throw new Error(`unparsable line in ${entry}: ${raw}`);
    parameters[match[1]] = match[2].replace(/^'(.*)'$/, '$1').replace(/''/g, "'");
  }
  return parameters;
}
