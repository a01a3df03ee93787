import type { TimeCondition, TimeWindow, Weekday } from "./types.js";

export const WEEKDAYS: readonly Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export interface LocalTime {
  weekday: Weekday;
  /** Minutes since local midnight. */
  minutes: number;
  /** e.g. "Fri 23:30 America/New_York" — for explanations. */
  text: string;
}

// Formatters are costly to build and immutable: one per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

export function isTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** Wall-clock time in a zone (daylight saving included, from the runtime's time zone data). */
export function localTimeOf(at: Date, zone: string): LocalTime {
  const parts = formatterFor(zone).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  const weekday = part("weekday").toLowerCase() as Weekday;
  const hour = Number(part("hour"));
  const minute = Number(part("minute"));
  const text = `${part("weekday")} ${part("hour")}:${part("minute")} ${zone}`;
  return { weekday, minutes: hour * 60 + minute, text };
}

export function minutesOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(":").map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function previousDay(day: Weekday): Weekday {
  return WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7] ?? day;
}

/**
 * A window belongs to the day it starts on: Fri 22:00–06:00 covers Friday from 22:00 and Saturday until
 * 06:00. `from` is inclusive, `to` exclusive.
 */
export function windowContains(window: TimeWindow, time: LocalTime): boolean {
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  if (from < to) return window.days.includes(time.weekday) && time.minutes >= from && time.minutes < to;
  return (
    (window.days.includes(time.weekday) && time.minutes >= from) ||
    (window.days.includes(previousDay(time.weekday)) && time.minutes < to)
  );
}

/** Parses an ISO 8601 instant; undefined when absent or unreadable (time conditions then do not match). */
export function instantOf(at: string | undefined): Date | undefined {
  if (!at) return undefined;
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function describeWindows(condition: TimeCondition): string {
  const days = (list: Weekday[]) => (list.length === 7 ? "every day" : list.join(","));
  return `${condition.windows.map((w) => `${days(w.days)} ${w.from}–${w.to}`).join("; ")} (${condition.zone})`;
}

/** An ISO 8601 instant with its offset (`…Z` or `…+01:00`): a local time without one would be ambiguous. */
export function isInstant(value: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) && instantOf(value) !== undefined
  );
}
