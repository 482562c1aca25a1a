package dev.odooagent.fleet;

import static dev.odooagent.fleet.WavesTest.D0;
import static dev.odooagent.fleet.WavesTest.D1;
import static dev.odooagent.fleet.WavesTest.T;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WatcherTest {
  final Duration soak = Duration.ofSeconds(5);

  Watcher group(String self) {
    Watcher w = new Watcher(self, soak);
    for (String h : List.of("c1", "c2", "c3", "a", "b")) {
      w.record(h, new FleetRecord(h, h.startsWith("c") ? 0 : 1, D0, "pass", T, T));
      w.status(h, true);
    }
    return w;
  }

  @Test
  void onlyTheTwoLowestOnlineCanariesWatch() {
    assertTrue(group("c1").watching());
    assertTrue(group("c2").watching());
    assertFalse(group("c3").watching());
    assertEquals(List.of(), group("c3").due(T.plusSeconds(10)));
    Watcher c3 = group("c3");
    c3.status("c1", false);
    assertTrue(c3.watching(), "c1 went offline: c3 takes its place");
    assertEquals(List.of("c1", "c2", "c3"), c3.canaries());
  }

  @Test
  void aGateIsPublishedWhenItChangesAndNotAgain() {
    Watcher w = group("c1");
    List<Gate> first = w.due(T.plusSeconds(10));
    assertEquals(1, first.size());
    assertTrue(first.get(0).open());
    assertEquals(D0, first.get(0).digest());
    assertEquals(List.of(), w.due(T.plusSeconds(11)), "nothing changed");
    w.record("c1", new FleetRecord("c1", 0, D1, "pass", T.plusSeconds(20), T.plusSeconds(20)));
    List<Gate> moved = w.due(T.plusSeconds(21));
    assertEquals(1, moved.size());
    assertFalse(moved.get(0).open());
    assertEquals(D1, moved.get(0).digest());
    assertEquals(List.of("c1", "c2", "c3"), moved.get(0).waitingFor(), "c1 is soaking; the other canaries run D0");
  }

  @Test
  void aShrinkingWaitingListIsPublishedAtMostOnceASecond() {
    Watcher w = group("c1");
    for (String c : List.of("c1", "c2", "c3")) {
      w.record(c, new FleetRecord(c, 0, D1, "pass", T, null));
    }
    assertEquals(1, w.due(T).size());
    w.record("c1", new FleetRecord("c1", 0, D1, "pass", T, T.minusSeconds(10)));
    assertEquals(List.of(), w.due(T.plusMillis(500)), "only the waiting list changed, within the second");
    List<Gate> later = w.due(T.plusMillis(1000));
    assertEquals(1, later.size());
    assertEquals(List.of("c2", "c3"), later.get(0).waitingFor());
  }

  @Test
  void aGateTheOtherWatcherPublishedIsNotPublishedAgain() {
    Watcher c1 = group("c1");
    Watcher c2 = group("c2");
    Gate fromC2 = c2.due(T.plusSeconds(10)).get(0);
    c1.gate(fromC2);
    assertEquals(List.of(), c1.due(T.plusSeconds(10)));
  }

  @Test
  void aRolledBackDigestIsNeverTheGatesDigest() {
    Watcher w = group("c1");
    w.record("c2", new FleetRecord("c2", 0, D1, "pass", T.plusSeconds(1), T.plusSeconds(1)));
    w.rolledBack(D1);
    assertEquals(D0, w.due(T.plusSeconds(30)).get(0).digest());
  }
}
