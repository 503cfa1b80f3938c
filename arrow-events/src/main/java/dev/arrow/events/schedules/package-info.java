/** Cron schedules with a seconds field and a time zone (cron-utils does the calendar and DST). */
package dev.arrow.events.schedules;
