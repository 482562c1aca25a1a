package dev.odooagent.fleet;

import static dev.odooagent.fleet.WavesTest.D0;
import static dev.odooagent.fleet.WavesTest.D1;
import static dev.odooagent.fleet.WavesTest.T;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class OwnRecordTest {
  final OwnRecord own = new OwnRecord("h", 1);

  static JsonObject status(String digest, String health, boolean deploying) {
    return new JsonObject().put("health", health).put("deploy_in_progress", deploying)
        .put("current", new JsonObject().put("digest", digest).put("since", T.toString()));
  }

  @Test
  void aRecordIsAnsweredOnlyWhenAFieldChanges() {
    FleetRecord first = own.next(status(D0, "pass", false), T);
    assertEquals(new FleetRecord("h", 1, D0, "pass", T, T), first);
    assertNull(own.next(status(D0, "pass", false).put("state", "idle"), T.plusSeconds(5)), "same fields: nothing to publish");
    FleetRecord deploying = own.next(status(D0, "pass", true), T.plusSeconds(6));
    assertEquals("deploying", deploying.health());
    assertNull(deploying.healthySince());
    FleetRecord moved = own.next(status(D1, "pass", false), T.plusSeconds(9));
    assertEquals(D1, moved.digest());
    assertEquals(T.plusSeconds(9), moved.healthySince(), "healthy since it passed on the new digest");
    assertEquals(moved, own.last());
  }
}
