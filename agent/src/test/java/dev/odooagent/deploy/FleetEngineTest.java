package dev.odooagent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.odooagent.MutableClock;
import dev.odooagent.event.Source;
import dev.odooagent.event.Trigger;
import dev.odooagent.event.Verdict;
import dev.odooagent.fleet.Gate;
import dev.odooagent.fleet.HostGate;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The engine of a wave 1 host: automatic deploys wait for their wave's gate, and give up at fleet.wave_timeout. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class FleetEngineTest {
  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
  private static final Duration TIMEOUT = Duration.ofMinutes(10);

  @TempDir
  Path dir;

  private static String tag(int n) {
    return "sha-" + (1000000 + n);
  }

  private static String digest(int n) {
    return "sha256:" + String.format("%064x", 0xf000 + n);
  }

  private DeployBed bed(Vertx vertx) {
    DeployBed bed = new DeployBed(vertx, dir);
    bed.publish(tag(1), digest(1), bed.v1Modules(), 2);
    return bed;
  }

  private static Trigger trigger(int n) {
    return new Trigger(Source.REGISTRY, tag(n), digest(n), null, Instant.now());
  }

  @Test
  void aTriggerWaitsForItsWavesGateAndStartsWhenItOpens(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    HostGate gate = new HostGate("shop", 1, Duration.ofSeconds(5), TIMEOUT);
    gate.watcherStatus("c1", true);
    gate.gate(new Gate(1, digest(1), false, List.of("c1"), List.of("c1"), "c1"));
    Engine engine = bed.engine(Duration.ZERO).withFleet(gate);
    bed.on(() -> {
      ctx.verify(() -> assertEquals(Verdict.ACCEPTED, engine.offer(trigger(1))));
      return Future.succeededFuture();
    }).compose(x -> bed.until(() -> bed.store.pending() != null)).compose(x -> bed.on(() -> {
      ctx.verify(() -> {
        JsonObject status = engine.status();
        assertTrue(status.getJsonObject("pending").getString("reason").startsWith("fleet: waiting for c1"),
            status.encode());
        JsonObject fleet = status.getJsonObject("fleet");
        assertTrue(fleet.getBoolean("waiting"));
        assertEquals(new JsonArray().add("c1"), fleet.getJsonArray("waiting_for"));
        assertEquals(digest(1), fleet.getString("digest"));
        assertEquals(List.of(), bed.docker.mutations(), "nothing was pulled or touched while waiting");
      });
      gate.gate(new Gate(1, digest(1), true, List.of(), List.of("c1"), "c1"));
      engine.releaseDue();
      return bed.until(() -> !engine.busy() && bed.journal.history(10).size() == 1);
    })).onComplete(ctx.succeeding(x -> ctx.verify(() -> {
      JsonObject v = bed.journal.lastVerdict();
      assertEquals("success", v.getString("outcome"));
      assertEquals(digest(1), v.getJsonObject("to").getString("digest"));
      assertNull(bed.store.pending());
      assertFalse(engine.status().getJsonObject("fleet").getBoolean("waiting"));
      ctx.completeNow();
    })));
  }

  @Test
  void pastTheWaveTimeoutTheHostGivesUpAndRefusesTheDigest(Vertx vertx, VertxTestContext ctx) {
    DeployBed bed = bed(vertx);
    MutableClock clock = new MutableClock(NOW);
    HostGate gate = new HostGate("shop", 1, Duration.ofSeconds(5), TIMEOUT);
    Engine engine = bed.engine(Duration.ZERO, clock).withFleet(gate);
    bed.on(() -> Future.succeededFuture(engine.offer(trigger(1))))
        .compose(x -> bed.until(() -> bed.store.pending() != null))
        .compose(x -> bed.on(() -> {
          ctx.verify(() -> assertTrue(engine.status().getJsonObject("pending").getString("reason")
              .contains("no canary (wave 0) reports on fleet group shop yet")));
          clock.advance(TIMEOUT);
          engine.releaseDue();
          return bed.until(() -> bed.store.pending() == null);
        }))
        .compose(x -> bed.on(() -> Future.succeededFuture(engine.offer(trigger(1)))))
        .onComplete(ctx.succeeding(again -> ctx.verify(() -> {
          assertEquals(Verdict.IGNORED, again, "a digest given up on is refused like a rolled-back one");
          assertTrue(bed.store.rejectedBy(digest(1)).startsWith("fleet: gave up on " + digest(1)),
              bed.store.rejectedBy(digest(1)));
          JsonObject fleet = engine.status().getJsonObject("fleet");
          assertEquals(digest(1), fleet.getJsonObject("gave_up").getString("digest"));
          assertFalse(fleet.getBoolean("waiting"));
          assertEquals(List.of(), bed.docker.mutations(), "nothing deployed");
          assertEquals(0, bed.journal.history(10).size());
          ctx.completeNow();
        })));
  }
}
