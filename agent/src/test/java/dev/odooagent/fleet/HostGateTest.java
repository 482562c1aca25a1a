package dev.odooagent.fleet;

import static dev.odooagent.fleet.WavesTest.D0;
import static dev.odooagent.fleet.WavesTest.D1;
import static dev.odooagent.fleet.WavesTest.T;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.policy.FleetGate;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostGateTest {
  final HostGate wave1 = new HostGate("shop", 1, Duration.ofSeconds(5), Duration.ofMinutes(10));

  @Test
  void anOpenGateForTheDigestLetsItStart() {
    wave1.gate(new Gate(1, D1, true, List.of(), List.of("c1"), "c1"));
    wave1.watcherStatus("c1", true);
    assertNull(wave1.check(D1, T));
    assertFalse(wave1.waiting(D1));
  }

  @Test
  void aClosedGateNamesTheHostsWaitedFor() {
    wave1.gate(new Gate(1, D1, false, List.of("c2"), List.of("c1", "c2"), "c1"));
    wave1.watcherStatus("c1", true);
    FleetGate.Wait w = wave1.check(D1, T);
    assertFalse(w.gaveUp());
    assertTrue(w.reason().contains("waiting for c2"), w.reason());
    assertTrue(wave1.waiting(D1));
    JsonObject view = wave1.view(D1, T);
    assertEquals("shop", view.getString("group"));
    assertEquals(1, view.getInteger("wave"));
    assertEquals(new JsonArray().add("c2"), view.getJsonArray("waiting_for"));
    assertEquals(D1, view.getString("digest"));
    assertEquals(T.plus(Duration.ofMinutes(10)).toString(), view.getString("gives_up_at"));
    assertTrue(view.getBoolean("waiting"));
  }

  @Test
  void aGateOpenForAnotherDigestDoesNotLetThisOneStart() {
    wave1.gate(new Gate(1, D0, true, List.of(), List.of("c1"), "c1"));
    wave1.watcherStatus("c1", true);
    FleetGate.Wait w = wave1.check(D1, T);
    assertTrue(w.reason().contains("run " + D0), w.reason());
    assertEquals(new JsonArray().add("c1"), wave1.view(D1, T).getJsonArray("waiting_for"));
  }

  @Test
  void aGateWhoseWatchersAreAllOfflineIsNotTrusted() {
    wave1.gate(new Gate(1, D1, true, List.of(), List.of("c1"), "c1"));
    wave1.watcherStatus("c1", false);
    FleetGate.Wait w = wave1.check(D1, T);
    assertTrue(w.reason().contains("c1 is offline"), w.reason());
    assertEquals(new JsonArray().add("c1"), wave1.view(D1, T).getJsonArray("waiting_for"));
  }

  @Test
  void afterTheWaveTimeoutTheHostGivesUpWithAClearReason() {
    FleetGate.Wait first = wave1.check(D1, T);
    assertTrue(first.reason().contains("no canary (wave 0) reports on fleet group shop"), first.reason());
    FleetGate.Wait before = wave1.check(D1, T.plus(Duration.ofMinutes(10)).minusMillis(1));
    assertFalse(before.gaveUp());
    FleetGate.Wait after = wave1.check(D1, T.plus(Duration.ofMinutes(10)));
    assertTrue(after.gaveUp());
    assertTrue(after.reason().startsWith("fleet: gave up on " + D1 + " after fleet.wave_timeout (600 s)"), after.reason());
    assertFalse(wave1.waiting(D1));
    assertEquals(D1, wave1.view(D1, T).getJsonObject("gave_up").getString("digest"));
  }

  @Test
  void waitingForANewDigestRestartsTheClock() {
    wave1.check(D0, T);
    assertFalse(wave1.check(D1, T.plus(Duration.ofMinutes(9))).gaveUp());
    assertFalse(wave1.check(D1, T.plus(Duration.ofMinutes(18))).gaveUp());
  }

  @Test
  void canariesAreNeverGated() {
    HostGate canary = new HostGate("shop", 0, Duration.ofSeconds(5), Duration.ofMinutes(10));
    assertFalse(canary.gated());
    assertNull(canary.check(D1, T));
    assertTrue(wave1.gated());
  }
}
