package dev.odooagent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** deploy.window: parsing, when it is open, and when it next opens, across midnight, the week's end and DST. */
class MaintenanceWindowTest {
  private static Instant at(String local, String zone) {
    return ZonedDateTime.of(java.time.LocalDateTime.parse(local), ZoneId.of(zone)).toInstant();
  }

  private static Instant utc(String instant) {
    return Instant.parse(instant);
  }

  @ParameterizedTest(name = "{0} in Manila is {1}")
  @CsvSource({
      // 2026-12-02 is a Wednesday
      "2026-12-02T01:00, true",      // opening time is inside
      "2026-12-02T03:30, true",
      "2026-12-02T04:59:59, true",
      "2026-12-02T05:00, false",     // closing time is outside
      "2026-12-02T00:59, false",
      "2026-12-05T02:00, false",     // Saturday
      "2026-12-07T02:00, true"})     // Monday
  void aWeekdayWindowInItsOwnZone(String local, boolean open) {
    MaintenanceWindow w = MaintenanceWindow.parse("Mon-Fri 01:00-05:00 Asia/Manila");
    assertEquals(open, w.isOpen(at(local, "Asia/Manila")));
  }

  @Test
  void theZoneIsTheWindowsNotTheServers() {
    MaintenanceWindow w = MaintenanceWindow.parse("Mon-Fri 01:00-05:00 Asia/Manila");
    // Tuesday 18:00 UTC is Wednesday 02:00 in Manila
    assertTrue(w.isOpen(utc("2026-12-01T18:00:00Z")));
    assertFalse(w.isOpen(utc("2026-12-02T02:00:00Z")));
    assertEquals(utc("2026-12-02T17:00:00Z"), w.nextOpening(utc("2026-12-02T02:00:00Z")));
  }

  @Test
  void aWindowCrossingMidnightStaysOpenIntoTheNextDay() {
    MaintenanceWindow w = MaintenanceWindow.parse("Mon-Sun 22:00-02:00 UTC");
    assertTrue(w.isOpen(utc("2026-12-02T22:00:00Z")));
    assertTrue(w.isOpen(utc("2026-12-02T23:59:00Z")));
    assertTrue(w.isOpen(utc("2026-12-03T01:59:59Z")));
    assertFalse(w.isOpen(utc("2026-12-03T02:00:00Z")));
    assertFalse(w.isOpen(utc("2026-12-03T21:59:59Z")));
    assertEquals(utc("2026-12-03T22:00:00Z"), w.nextOpening(utc("2026-12-03T02:00:00Z")));
  }

  @Test
  void theDayRangeNamesTheDayTheWindowOpens() {
    MaintenanceWindow w = MaintenanceWindow.parse("Fri 22:00-02:00 UTC");
    // 2026-12-04 is a Friday
    assertTrue(w.isOpen(utc("2026-12-05T01:00:00Z")), "Friday's window runs into Saturday morning");
    assertFalse(w.isOpen(utc("2026-12-04T01:00:00Z")), "Friday morning belongs to Thursday's window, which there is none of");
    assertFalse(w.isOpen(utc("2026-12-05T23:00:00Z")), "Saturday does not open");
  }

  @Test
  void sundaysWindowWrapsIntoMondayAndTheNextOpeningIsAWeekLater() {
    MaintenanceWindow w = MaintenanceWindow.parse("Sun 23:00-01:00 UTC");
    // 2026-12-06 is a Sunday
    assertTrue(w.isOpen(utc("2026-12-07T00:30:00Z")));
    assertFalse(w.isOpen(utc("2026-12-07T01:00:00Z")));
    assertEquals(utc("2026-12-13T23:00:00Z"), w.nextOpening(utc("2026-12-07T01:00:00Z")));
  }

  @Test
  void aDayRangeMayWrapThroughTheWeekendAndDaysMayBeListed() {
    MaintenanceWindow wrap = MaintenanceWindow.parse("Fri-Mon 10:00-11:00 UTC");
    for (String day : new String[] {"2026-12-04", "2026-12-05", "2026-12-06", "2026-12-07"}) {
      assertTrue(wrap.isOpen(utc(day + "T10:30:00Z")), day);
    }
    assertFalse(wrap.isOpen(utc("2026-12-08T10:30:00Z")), "Tuesday");
    assertEquals(utc("2026-12-11T10:00:00Z"), wrap.nextOpening(utc("2026-12-08T10:30:00Z")));
    MaintenanceWindow list = MaintenanceWindow.parse("sat,Sun,wed 00:00-24:00 UTC");
    assertTrue(list.isOpen(utc("2026-12-05T23:59:59Z")), "24:00 closes at the end of the day");
    assertTrue(list.isOpen(utc("2026-12-02T12:00:00Z")));
    assertFalse(list.isOpen(utc("2026-12-07T00:00:00Z")), "Monday");
  }

  @Test
  void nextOpeningIsNowWhileOpenAndTheStartOtherwise() {
    MaintenanceWindow w = MaintenanceWindow.parse("Mon-Fri 01:00-05:00 UTC");
    Instant inside = utc("2026-12-02T03:00:00Z");
    assertEquals(inside, w.nextOpening(inside));
    assertEquals(utc("2026-12-02T01:00:00Z"), w.nextOpening(utc("2026-12-02T00:00:00Z")));
    assertEquals(utc("2026-12-07T01:00:00Z"), w.nextOpening(utc("2026-12-04T05:00:00Z")), "Friday after closing: Monday");
  }

  @Test
  void aWindowOverTheSpringForwardGapIsOneRealHourShorter() {
    // New York moves from 02:00 EST to 03:00 EDT on Sunday 2026-03-08
    MaintenanceWindow w = MaintenanceWindow.parse("Sun 01:30-03:30 America/New_York");
    assertEquals(utc("2026-03-08T06:30:00Z"), w.nextOpening(utc("2026-03-07T12:00:00Z")), "01:30 EST");
    assertTrue(w.isOpen(utc("2026-03-08T07:15:00Z")), "03:15 EDT");
    assertFalse(w.isOpen(utc("2026-03-08T07:30:00Z")), "03:30 EDT closes it, one real hour after it opened");
  }

  @Test
  void anOpeningTimeTheClockSkipsMovesForwardByTheGap() {
    // 02:30 does not exist in Berlin on Sunday 2026-03-29 (02:00 CET becomes 03:00 CEST)
    MaintenanceWindow w = MaintenanceWindow.parse("Sun 02:30-04:00 Europe/Berlin");
    Instant opening = w.nextOpening(utc("2026-03-28T12:00:00Z"));
    assertEquals(utc("2026-03-29T01:30:00Z"), opening, "03:30 CEST");
    assertTrue(w.isOpen(opening));
    assertFalse(w.isOpen(utc("2026-03-29T02:00:00Z")), "04:00 CEST");
  }

  @Test
  void aWindowOverTheFallBackIsOneRealHourLonger() {
    // New York moves from 02:00 EDT back to 01:00 EST on Sunday 2026-11-01
    MaintenanceWindow w = MaintenanceWindow.parse("Sun 00:30-02:30 America/New_York");
    assertEquals(utc("2026-11-01T04:30:00Z"), w.nextOpening(utc("2026-10-31T12:00:00Z")), "00:30 EDT");
    assertTrue(w.isOpen(utc("2026-11-01T07:15:00Z")), "02:15 EST, three real hours later");
    assertFalse(w.isOpen(utc("2026-11-01T07:30:00Z")), "02:30 EST");
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "   "})
  void emptyIsAlwaysOpen(String spec) {
    MaintenanceWindow w = MaintenanceWindow.parse(spec);
    assertSame(MaintenanceWindow.ALWAYS, w);
    assertTrue(w.always());
    Instant now = utc("2026-12-05T03:00:00Z");
    assertTrue(w.isOpen(now));
    assertEquals(now, w.nextOpening(now));
  }

  @Test
  void extraSpacesAreNormalised() {
    MaintenanceWindow w = MaintenanceWindow.parse("  Mon-Fri   01:00-05:00\tUTC ");
    assertEquals("Mon-Fri 01:00-05:00 UTC", w.toString());
    assertFalse(w.always());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "Mon-Fry 01:00-05:00 UTC | 'Mon-Fry' is not a day range (use Mon-Fri, a day such as Sat",
      "Monday 01:00-05:00 UTC | 'Monday' is not a day range",
      "Mon,,Fri 01:00-05:00 UTC | '' is not a day range",
      "Mon-Fri | 'Mon-Fri' is not DAYS HH:MM-HH:MM ZONE (e.g. Mon-Fri 01:00-05:00 Asia/Manila; empty = always open)",
      "Mon-Fri 01:00-05:00 | is not DAYS HH:MM-HH:MM ZONE",
      "Mon-Fri 01:00-05:00 Asia/Manila tonight | is not DAYS HH:MM-HH:MM ZONE",
      "Mon-Fri 1-5 UTC | '1-5' is not a time range (use HH:MM-HH:MM on a 24-hour clock, e.g. 01:00-05:00)",
      "Mon-Fri 01:00 UTC | '01:00' is not a time range",
      "Mon-Fri 25:00-05:00 UTC | '25:00-05:00' has no time 25:00 (hours 00-23, minutes 00-59; 24:00 only as the end)",
      "Mon-Fri 24:00-05:00 UTC | has no time 24:00",
      "Mon-Fri 01:60-05:00 UTC | has no time 01:60",
      "Mon-Fri 03:00-03:00 UTC | '03:00-03:00' opens and closes at the same time (for a whole day use 00:00-24:00)",
      "Mon-Fri 01:00-05:00 Asia/Manilla | 'Asia/Manilla' is not a time zone (use an IANA name such as Asia/Manila, or UTC)",
      "Mon-Fri 01:00-05:00 PHT | 'PHT' is not a time zone"})
  void aMalformedWindowNamesThePartThatIsWrong(String spec, String expected) {
    String message = assertThrows(IllegalArgumentException.class, () -> MaintenanceWindow.parse(spec)).getMessage();
    assertTrue(message.contains(expected), () -> "expected '" + expected + "' in: " + message);
  }
}
