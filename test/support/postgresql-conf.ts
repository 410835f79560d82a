// The build's own reader (scripts/changes compares parameters with it); the tests read the same way.
export { effectiveParameters } from '../../scripts/postgres/effective-parameters.ts';
