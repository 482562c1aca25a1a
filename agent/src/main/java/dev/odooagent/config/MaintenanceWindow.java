package dev.odooagent.config;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When automatic deploys may start ({@code deploy.window}), e.g. {@code Mon-Fri 01:00-05:00 Asia/Manila}: on each
 * named day the window opens at the start time and closes at the end time, the next day when the end is not after
 * the start (so {@code Mon-Sun 22:00-02:00 UTC} opens on Monday evening and closes on Tuesday morning). Times are wall
 * clock times in the zone; a time that a DST change skips is moved forward by the gap. Empty means always open.
 */
public final class MaintenanceWindow {
  /** The window of an empty {@code deploy.window}: always open. */
  public static final MaintenanceWindow ALWAYS = new MaintenanceWindow("", EnumSet.allOf(DayOfWeek.class), null, null, null);

  private static final String DAY_NAMES = "Mon Tue Wed Thu Fri Sat Sun";
  private static final String EXAMPLE = "e.g. Mon-Fri 01:00-05:00 Asia/Manila";
  private static final Pattern DAY_RANGE = Pattern.compile("([A-Za-z]{3})(?:-([A-Za-z]{3}))?");
  private static final Pattern TIME_RANGE = Pattern.compile("(\\d{1,2}):(\\d{2})-(\\d{1,2}):(\\d{2})");

  private final String text;
  private final Set<DayOfWeek> days;
  private final LocalTime start;
  /** The closing time; {@code null} with {@link #endsAtMidnight} for 24:00. */
  private final LocalTime end;
  private final ZoneId zone;

  private MaintenanceWindow(String text, Set<DayOfWeek> days, LocalTime start, LocalTime end, ZoneId zone) {
    this.text = text;
    this.days = days;
    this.start = start;
    this.end = end;
    this.zone = zone;
  }

  /**
   * Parses {@code DAYS HH:MM-HH:MM ZONE}; DAYS is a day ({@code Sat}), a range ({@code Mon-Fri}, {@code Fri-Mon} wraps)
   * or a comma list of those. Throws IllegalArgumentException naming the part that is wrong and the fix.
   */
  public static MaintenanceWindow parse(String spec) {
    String s = spec == null ? "" : spec.trim();
    if (s.isEmpty()) {
      return ALWAYS;
    }
    String[] parts = s.split("\\s+");
    if (parts.length != 3) {
      throw new IllegalArgumentException("'" + s + "' is not DAYS HH:MM-HH:MM ZONE (" + EXAMPLE + "; empty = always open)");
    }
    Set<DayOfWeek> days = days(parts[0]);
    Matcher t = TIME_RANGE.matcher(parts[1]);
    if (!t.matches()) {
      throw new IllegalArgumentException("'" + parts[1] + "' is not a time range (use HH:MM-HH:MM on a 24-hour clock, e.g. 01:00-05:00)");
    }
    LocalTime start = time(parts[1], t.group(1), t.group(2), false);
    LocalTime end = time(parts[1], t.group(3), t.group(4), true);
    if (start.equals(end)) {
      throw new IllegalArgumentException("'" + parts[1] + "' opens and closes at the same time (for a whole day use 00:00-24:00)");
    }
    ZoneId zone;
    try {
      zone = ZoneId.of(parts[2]);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("'" + parts[2] + "' is not a time zone (use an IANA name such as Asia/Manila, or UTC)");
    }
    return new MaintenanceWindow(String.join(" ", parts), days, start, end, zone);
  }

  private static Set<DayOfWeek> days(String part) {
    Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
    for (String item : part.split(",", -1)) {
      Matcher m = DAY_RANGE.matcher(item);
      DayOfWeek from = m.matches() ? day(m.group(1)) : null;
      DayOfWeek to = m.matches() ? (m.group(2) == null ? from : day(m.group(2))) : null;
      if (from == null || to == null) {
        throw new IllegalArgumentException("'" + item + "' is not a day range (use Mon-Fri, a day such as Sat, or a list such "
            + "as Sat,Sun; days are " + DAY_NAMES + ")");
      }
      for (DayOfWeek d = from; ; d = d.plus(1)) {
        days.add(d);
        if (d == to) {
          break;
        }
      }
    }
    return days;
  }

  private static DayOfWeek day(String name) {
    for (DayOfWeek d : DayOfWeek.values()) {
      if (d.name().substring(0, 3).equalsIgnoreCase(name)) {
        return d;
      }
    }
    return null;
  }

  private static LocalTime time(String part, String hours, String minutes, boolean closing) {
    int h = Integer.parseInt(hours);
    int m = Integer.parseInt(minutes);
    if (closing && h == 24 && m == 0) {
      return null;
    }
    if (h > 23 || m > 59) {
      throw new IllegalArgumentException("'" + part + "' has no time " + hours + ":" + minutes
          + " (hours 00-23, minutes 00-59; 24:00 only as the end)");
    }
    return LocalTime.of(h, m);
  }

  /** Whether this is the always-open window of an empty {@code deploy.window}. */
  public boolean always() {
    return zone == null;
  }

  /** Whether automatic deploys may start at {@code now}. */
  public boolean isOpen(Instant now) {
    if (always()) {
      return true;
    }
    LocalDate today = now.atZone(zone).toLocalDate();
    // the window that opened yesterday may still be open after midnight
    for (LocalDate d = today.minusDays(1); !d.isAfter(today); d = d.plusDays(1)) {
      if (days.contains(d.getDayOfWeek()) && !now.isBefore(opening(d)) && now.isBefore(closing(d))) {
        return true;
      }
    }
    return false;
  }

  /** The earliest instant at or after {@code now} at which the window is open: {@code now} itself while it is open. */
  public Instant nextOpening(Instant now) {
    if (isOpen(now)) {
      return now;
    }
    LocalDate today = now.atZone(zone).toLocalDate();
    for (LocalDate d = today; ; d = d.plusDays(1)) {
      if (days.contains(d.getDayOfWeek()) && !opening(d).isBefore(now)) {
        return opening(d);
      }
    }
  }

  private Instant opening(LocalDate day) {
    return ZonedDateTime.of(day, start, zone).toInstant();
  }

  private Instant closing(LocalDate day) {
    if (end == null) {
      return ZonedDateTime.of(day.plusDays(1), LocalTime.MIDNIGHT, zone).toInstant();
    }
    return ZonedDateTime.of(end.isAfter(start) ? day : day.plusDays(1), end, zone).toInstant();
  }

  /** The window as configured (normalised spaces); empty for always open. */
  @Override
  public String toString() {
    return text;
  }
}
