package dev.odooagent.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WavesTest {
  static final String D0 = "sha256:" + "0".repeat(64);
  static final String D1 = "sha256:" + "1".repeat(64);
  static final Instant T = Instant.parse("2026-12-02T10:00:00Z");
  static final Duration SOAK = Duration.ofMinutes(5);

  static FleetRecord rec(String host, int wave, String digest, String health, Instant healthySince) {
    return new FleetRecord(host, wave, digest, health, healthySince == null ? T : healthySince, healthySince);
  }

  @Test
  void wave1OpensOnlyOnceEveryCanaryRanTheDigestHealthyForTheSoak() {
    List<FleetRecord> records = List.of(rec("c1", 0, D1, "pass", T), rec("c2", 0, D1, "pass", T.plusSeconds(60)),
        rec("w1", 1, D0, "pass", T));
    Gate early = Waves.gate(1, D1, records, h -> true, SOAK, T.plus(SOAK), List.of("c1", "c2"), "c1");
    assertFalse(early.open());
    assertEquals(List.of("c2"), early.waitingFor(), "c2 has soaked 4 of 5 minutes");
    assertEquals(D1, early.digest());
    assertEquals(1, early.wave());
    assertEquals(List.of("c1", "c2"), early.watchers());
    assertEquals("c1", early.by());
    Gate later = Waves.gate(1, D1, records, h -> true, SOAK, T.plus(SOAK).plusSeconds(60), List.of("c1"), "c1");
    assertTrue(later.open());
    assertEquals(List.of(), later.waitingFor());
  }

  @Test
  void anOfflineStuckOrUnhealthyEarlierHostKeepsTheGateClosed() {
    List<FleetRecord> records = List.of(rec("c1", 0, D1, "pass", T), rec("c2", 0, D1, "pass", T),
        rec("a", 1, D0, "pass", T), rec("b", 1, D1, "fail", null), rec("z", 2, D0, "pass", T));
    Instant now = T.plus(SOAK).plusSeconds(1);
    Gate wave2 = Waves.gate(2, D1, records, h -> !h.equals("c2"), SOAK, now, List.of("c1"), "c1");
    assertFalse(wave2.open());
    assertEquals(List.of("a", "b", "c2"), wave2.waitingFor(), "a is stuck on D0, b unhealthy, c2 offline");
    Gate wave1 = Waves.gate(1, D1, records, h -> true, SOAK, now, List.of("c1"), "c1");
    assertTrue(wave1.open(), "later waves do not hold an earlier one");
  }

  @Test
  void noDigestMeansAClosedGate() {
    Gate g = Waves.gate(1, null, List.of(), h -> true, SOAK, T, List.of(), "c1");
    assertFalse(g.open());
    assertNull(g.digest());
  }

  @Test
  void watchersAreTheTwoLowestOnlineCanaries() {
    List<FleetRecord> records = List.of(rec("c3", 0, D1, "pass", T), rec("c1", 0, D1, "pass", T),
        rec("c2", 0, D1, "pass", T), rec("a", 1, D1, "pass", T));
    assertEquals(List.of("c1", "c2"), Waves.watchers(records, h -> true));
    assertEquals(List.of("c2", "c3"), Waves.watchers(records, h -> !h.equals("c1")));
    assertEquals(List.of(), Waves.watchers(records, h -> h.equals("a")));
  }

  @Test
  void theNewestDigestIsTheOneAnOnlineCanaryMovedToLastAndNeverARolledBackOne() {
    List<FleetRecord> records = List.of(
        new FleetRecord("c1", 0, D0, "pass", T, T),
        new FleetRecord("c2", 0, D1, "pass", T.plusSeconds(10), T.plusSeconds(10)),
        new FleetRecord("a", 1, "sha256:" + "2".repeat(64), "pass", T.plusSeconds(99), T));
    assertEquals(D1, Waves.newestDigest(records, h -> true, Set.of()));
    assertEquals(D0, Waves.newestDigest(records, h -> true, Set.of(D1)));
    assertEquals(D0, Waves.newestDigest(records, h -> !h.equals("c2"), Set.of()));
    assertNull(Waves.newestDigest(records, h -> false, Set.of()));
  }

  @Test
  void gatedWavesAreTheWavesAboveZeroThatHaveHosts() {
    assertEquals(List.of(1, 3), Waves.gatedWaves(List.of(rec("c", 0, D0, "pass", T), rec("b", 3, D0, "pass", T),
        rec("a", 1, D0, "pass", T), rec("d", 1, D0, "pass", T))));
  }

  @Test
  void recordsAndGatesSurviveTheirJsonForm() {
    FleetRecord r = new FleetRecord("h", 2, D1, "pass", T, T.plusSeconds(3));
    assertEquals(r, FleetRecord.fromJson(r.toJson()));
    Gate g = new Gate(2, D1, false, List.of("a"), List.of("c1", "c2"), "c1");
    assertTrue(g.sameAs(Gate.fromJson(g.toJson())));
    assertEquals("c1", Gate.fromJson(g.toJson()).by());
  }
}
