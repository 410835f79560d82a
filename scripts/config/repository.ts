/** A branch, a tag or a full commit id: what Argo CD's targetRevision and Flux's ref follow. */
export type RepositoryRevision = { readonly branch: string } | { readonly tag: string } | { readonly commit: string };

export interface RepositoryConfig {
  /**
   * The repository Argo CD and Flux clone: https://… or ssh://… (git@host:path is accepted and
   * written as ssh://). @default the checkout's `origin` remote, when it has one
   */
  readonly url?: string;
  /** @default { branch: "main" } */
  readonly revision?: RepositoryRevision;
}

/**
 * Where every environment's Argo CD Application (generated/argocd/) and Flux GitRepository
 * (generated/flux/) point: the one place that names this repository.
 *
 * `url` is set explicitly so the rendered files are identical on every machine: CI clones afresh
 * and its `origin` may point anywhere. Change it when the repository moves or is forked.
 */
export const repository: RepositoryConfig = {
  url: 'https://github.com/penguintechinc/postgresql-gitops-bundle.git',
  revision: { branch: 'main' },
};
