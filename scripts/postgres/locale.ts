import type { ParameterValue } from '../config/environment.ts';

/**
 * What initdb writes into the data directory's postgresql.conf for a locale, rendered instead: the
 * pods start PostgreSQL with config_file pointing at the ConfigMap, so initdb's own file is never
 * read, and without these lines the server falls back to GMT, the C locale for messages, money,
 * numbers and dates, and full-text search without stemming (pg_catalog.simple).
 */
export function localeParameters(locale: string): Record<string, ParameterValue> {
  return {
    lc_messages: locale,
    lc_monetary: locale,
    lc_numeric: locale,
    lc_time: locale,
    default_text_search_config: `pg_catalog.${textSearchConfig(locale)}`,
    // initdb takes the machine's zone; a pod's is UTC. Written out, so no node's zone leaks in.
    timezone: 'UTC',
    log_timezone: 'UTC',
  };
}

/**
 * initdb's choice of text search configuration for a locale's language (its tsearch_config_languages
 * table, src/bin/initdb/initdb.c): "english" for C and POSIX too (test/locale.test.ts saw initdb
 * write it), "simple" for a language it does not know.
 */
const LANGUAGES: Readonly<Record<string, string>> = {
  ar: 'arabic',
  ca: 'catalan',
  da: 'danish',
  de: 'german',
  el: 'greek',
  en: 'english',
  es: 'spanish',
  eu: 'basque',
  fi: 'finnish',
  fr: 'french',
  ga: 'irish',
  hi: 'hindi',
  hu: 'hungarian',
  hy: 'armenian',
  id: 'indonesian',
  it: 'italian',
  lt: 'lithuanian',
  nb: 'norwegian',
  ne: 'nepali',
  nl: 'dutch',
  nn: 'norwegian',
  no: 'norwegian',
  pt: 'portuguese',
  ro: 'romanian',
  ru: 'russian',
  sr: 'serbian',
  sv: 'swedish',
  ta: 'tamil',
  tr: 'turkish',
  yi: 'yiddish',
};

export function textSearchConfig(locale: string): string {
  const language = locale.split(/[_.@]/)[0].toLowerCase();
  if (language === 'c' || language === 'posix') return 'english';
  return LANGUAGES[language] ?? 'simple';
}

/** A locale name as the alpine and Debian images spell them: "en_US.utf8", "C", "C.UTF-8", "POSIX". */
export const LOCALE_NAME = /^([a-z]{2,3}_[A-Z]{2}\.(utf8|UTF-8)|C|C\.(utf8|UTF-8)|POSIX)$/;
