package dev.odooagent.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayCacheTest {

  private static final Duration RETENTION = Duration.ofMinutes(10);

  @TempDir
  Path dir;
  private final MutableClock clock = new MutableClock(Instant.ofEpochSecond(1_700_000_000L));

  @Test
  void addsOnceAndAppendsALinePerId() throws Exception {
    Path file = dir.resolve("state/ids");
    try (ReplayCache cache = ReplayCache.open(file, RETENTION, clock)) {
      assertTrue(cache.add("a"));
      assertFalse(cache.add("a"));
      assertTrue(cache.add("b"));
      assertTrue(cache.contains("a"));
      assertFalse(cache.contains("c"));
    }
    assertEquals(List.of("a 1700000000", "b 1700000000"), Files.readAllLines(file));
  }

  @Test
  void survivesReopening() throws Exception {
    Path file = dir.resolve("ids");
    try (ReplayCache cache = ReplayCache.open(file, RETENTION, clock)) {
      cache.add("kept");
    }
    clock.advance(Duration.ofMinutes(9));
    try (ReplayCache cache = ReplayCache.open(file, RETENTION, clock)) {
      assertTrue(cache.contains("kept"));
      assertFalse(cache.add("kept"));
    }
  }

  @Test
  void dropsExpiredEntriesOnLoadAndRewritesTheFile() throws Exception {
    Path file = dir.resolve("ids");
    try (ReplayCache cache = ReplayCache.open(file, RETENTION, clock)) {
      cache.add("old");
      clock.advance(Duration.ofMinutes(6));
      cache.add("young");
    }
    clock.advance(Duration.ofMinutes(5));
    try (ReplayCache cache = ReplayCache.open(file, RETENTION, clock)) {
      assertFalse(cache.contains("old"));
      assertTrue(cache.contains("young"));
      assertEquals(1, cache.size());
    }
    assertEquals(List.of("young 1700000360"), Files.readAllLines(file));
  }

  @Test
  void anExpiredIdIsForgottenWithoutReopening() throws Exception {
    try (ReplayCache cache = ReplayCache.open(dir.resolve("ids"), RETENTION, clock)) {
      cache.add("x");
      clock.advance(RETENTION.plusSeconds(1));
      assertFalse(cache.contains("x"));
      assertTrue(cache.add("x"));
      cache.compact();
      assertEquals(1, cache.size());
    }
  }

  @Test
  void skipsDamagedLinesAndTerminatesATornLastLine() throws Exception {
    Path file = dir.resolve("ids");
    Files.writeString(file, "good 1700000000\nno-timestamp\nbad ts\n\ntorn 17000", StandardCharsets.US_ASCII);
    try (ReplayCache cache = ReplayCache.open(file, RETENTION, clock)) {
      assertTrue(cache.contains("good"));
      assertFalse(cache.contains("no-timestamp"));
      assertTrue(cache.add("next"));
    }
    assertEquals(List.of("good 1700000000", "next 1700000000"), Files.readAllLines(file));
  }
}
