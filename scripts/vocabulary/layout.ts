/** Where the build writes: one explicit layout, named once (the directories are relative to the project). */

export const GENERATED_DIR = 'generated';

/** An environment's fully rendered YAML, for review. */
export const generatedFile = (environment: string) => `${GENERATED_DIR}/${environment}.yaml`;
