import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cronProblem } from '../scripts/config/cron.ts';

test('accepts the schedules a CronJob accepts: values, ranges, lists, steps, names', () => {
  for (const schedule of [
    '0 2 * * *',
    '*/15 * * * *',
    '30 3 * * 0',
    '0 0 1 */2 *',
    '0 1-5/2 * * MON-FRI',
    '5,35 0 * JAN,JUL 7',
    ' 0  2 * * * ',
    '0 0 31 2 ?',
  ]) {
    assert.is(cronProblem(schedule), undefined, schedule);
  }
});

test('names the field and its range for a value out of range', () => {
  assert.match(cronProblem('0 25 * * *')!, 'hour "25" is outside 0-23');
  assert.match(cronProblem('60 2 * * *')!, 'minute "60" is outside 0-59');
  assert.match(cronProblem('0 2 0 * *')!, 'day of month "0" is outside 1-31');
  assert.match(cronProblem('0 2 * 13 *')!, 'month "13" is outside 1-12 or JAN-DEC');
  assert.match(cronProblem('0 2 * * 8')!, 'day of week "8" is outside 0-7 or SUN-SAT');
  assert.match(cronProblem('0 2 * * FUNDAY')!, 'day of week "FUNDAY"');
});

test('refuses the wrong number of fields, bad steps, backwards ranges, time zones and non-strings', () => {
  assert.match(
    cronProblem('0 2 * *')!,
    'has 4 fields; a schedule is 5 fields (minute hour day-of-month month day-of-week)',
  );
  assert.match(cronProblem('daily')!, 'has 1 field;');
  assert.match(cronProblem('*/0 * * * *')!, 'a step is "/" and a whole number of at least 1');
  assert.match(cronProblem('0 5-2 * * *')!, 'range "5-2" runs backwards');
  assert.match(cronProblem('CRON_TZ=Europe/Berlin 0 2 * * *')!, 'no time zone in the schedule');
  assert.match(cronProblem(2)!, 'must be a cron schedule string');
});

test('accepts the macros and @every as the CronJob controller (robfig/cron ParseStandard) does, and names what it refuses', () => {
  for (const schedule of [
    '@yearly',
    '@annually',
    '@monthly',
    '@weekly',
    '@daily',
    '@midnight',
    '@hourly',
    ' @daily ',
    '@every 1h30m',
    '@every 90m',
    '@every 1.5h',
  ]) {
    assert.is(cronProblem(schedule), undefined, schedule);
  }
  assert.match(cronProblem('@DAILY')!, '"@DAILY" is not a macro the CronJob controller knows; a schedule is 5 fields');
  assert.match(
    cronProblem('@fortnightly')!,
    'or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @every DURATION',
  );
  assert.match(cronProblem('@every 1d')!, '@every takes a Go duration such as 90m or 1h30m');
  assert.match(cronProblem('@every')!, 'is not a macro');
  assert.match(cronProblem('@daily 0 2 * * *')!, 'is not a macro');
});

test.run();
